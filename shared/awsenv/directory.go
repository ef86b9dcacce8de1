package awsenv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/evx-project/evx/shared/pipeline"
	"go.yaml.in/yaml/v3"
)

// Directory is the counterpart directory a function loads from infra/counterparts.yaml's
// format. It is read here rather than with local.LoadDirectory so that the functions do not
// link the embedded backends (SQLite alone would double a bootstrap's size).
type Directory struct {
	m map[string]pipeline.Counterpart
}

var _ pipeline.Directory = (*Directory)(nil)

// LoadDirectory reads a counterpart directory file (at most 1 MiB; unknown fields, duplicate
// or empty ids and a missing "active" are errors).
func LoadDirectory(path string) (*Directory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, 1<<20+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > 1<<20 {
		return nil, fmt.Errorf("%s: larger than 1 MiB", path)
	}
	var doc struct {
		Counterparts []struct {
			ID            string   `yaml:"id"`
			Name          string   `yaml:"name"`
			Country       string   `yaml:"country"`
			LegalBases    []string `yaml:"legal_bases"`
			HandlingCodes []string `yaml:"handling_codes"`
			PublicKey     string   `yaml:"public_key"`
			Active        *bool    `yaml:"active"`
		} `yaml:"counterparts"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d := &Directory{m: map[string]pipeline.Counterpart{}}
	for i, c := range doc.Counterparts {
		if c.ID == "" || c.Active == nil {
			return nil, fmt.Errorf("%s: counterpart %d: id and active are required", path, i+1)
		}
		if _, dup := d.m[c.ID]; dup {
			return nil, fmt.Errorf("%s: counterpart %s listed twice", path, c.ID)
		}
		d.m[c.ID] = pipeline.Counterpart{ID: c.ID, Name: c.Name, Country: c.Country, LegalBases: c.LegalBases,
			HandlingCodes: c.HandlingCodes, PublicKey: c.PublicKey, Active: *c.Active}
	}
	return d, nil
}

// Counterpart implements pipeline.Directory.
func (d *Directory) Counterpart(ctx context.Context, id string) (pipeline.Counterpart, error) {
	c, ok := d.m[id]
	if !ok {
		return pipeline.Counterpart{}, fmt.Errorf("counterpart %q: %w", id, pipeline.ErrNotFound)
	}
	return c, nil
}
