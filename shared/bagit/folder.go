package bagit

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
)

type folderSource struct {
	root    *os.Root
	payload []string
	sizes   map[string]int64
}

// openFolder reads a bag stored as a folder. Files are opened through os.Root, so no
// link can lead outside it; links, devices and other special files are refused.
func openFolder(dir string, lim Limits) (*Bag, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	c := &counter{lim: lim}
	b := newBag(lim, "folder")
	fsrc := &folderSource{root: root, sizes: map[string]int64{}}
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		if len(p) > lim.MaxPathLen {
			return &LimitError{Path: clip(p), Limit: "MaxPathLen", Max: int64(lim.MaxPathLen), Got: int64(len(p))}
		}
		if depth := strings.Count(p, "/") + 1; depth > lim.MaxPathDepth {
			return &LimitError{Path: clip(p), Limit: "MaxPathDepth", Max: int64(lim.MaxPathDepth), Got: int64(depth)}
		}
		t := d.Type()
		switch {
		case t&fs.ModeSymlink != 0:
			return &ArchiveError{Path: p, Reason: "is a symbolic link; a bag may hold only regular files"}
		case d.IsDir():
			return c.member(p, 0)
		case !t.IsRegular():
			return &ArchiveError{Path: p, Reason: "is a device, FIFO or socket; a bag may hold only regular files"}
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if err := c.member(p, info.Size()); err != nil {
			return err
		}
		if isPayload(p) {
			fsrc.payload = append(fsrc.payload, p)
			fsrc.sizes[p] = info.Size()
			return nil
		}
		if err := c.tag(p, info.Size()); err != nil {
			return err
		}
		f, err := root.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		data, err := readAllLimited(p, f, info.Size())
		if err != nil {
			return err
		}
		b.addTag(p, data)
		return nil
	})
	if err != nil {
		root.Close()
		return nil, err
	}
	b.src = fsrc
	return b, nil
}

func (s *folderSource) stream(fn streamFunc) error {
	for _, p := range s.payload {
		f, err := s.root.Open(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return &ArchiveError{Path: p, Reason: "disappeared while the bag was read"}
			}
			return err
		}
		err = fn(p, s.sizes[p], &exactReader{name: p, r: f, left: s.sizes[p]})
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *folderSource) Close() error { return s.root.Close() }

var _ io.Closer = (*folderSource)(nil)
