package pipeline

import (
	"context"
	"fmt"

	"github.com/evx-project/evx/shared/custody"
)

// Events returns the bundle's custody events in order; a bundle with none is a
// *BundleNotFoundError.
func (s *Service) Events(ctx context.Context, bundleID string) ([]custody.Entry, error) {
	trail, err := s.c.Ledger.Events(ctx, bundleID)
	if err != nil {
		return nil, fmt.Errorf("read trail of %s: %w", bundleID, err)
	}
	if len(trail) == 0 {
		return nil, &BundleNotFoundError{BundleID: bundleID}
	}
	return trail, nil
}

// Export returns the bundle's trail for offline verification (custody.Export): every event
// with its inclusion proof against a freshly signed checkpoint, and the most cosigned of the
// recent checkpoints shown to witnesses, when there is one, and every document manifest its
// events reference.
func (s *Service) Export(ctx context.Context, bundleID string, opt custody.ExportOptions) (*custody.Trail, error) {
	if _, err := s.Events(ctx, bundleID); err != nil {
		return nil, err
	}
	if opt.Witnessed == nil {
		w, err := s.bestWitnessed(ctx)
		if err != nil {
			return nil, fmt.Errorf("export %s: cosigned checkpoint: %w", bundleID, err)
		}
		opt.Witnessed = w
	}
	t, err := s.keeper.Export(ctx, bundleID, opt)
	if err != nil {
		return nil, err
	}
	if err := s.attachManifests(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// Verify exports the bundle's trail and verifies it with evx's own public key, as a holder of
// the exported trail would (custody.Verify). opt may name a folder of documents or an older
// checkpoint.
func (s *Service) Verify(ctx context.Context, bundleID string, opt custody.VerifyOptions) (*custody.Report, error) {
	return s.VerifyAt(ctx, bundleID, 0, opt)
}

// VerifyAt is Verify of the trail exported at log size size (custody.ExportOptions.Size; the
// current size when 0).
func (s *Service) VerifyAt(ctx context.Context, bundleID string, size uint64, opt custody.VerifyOptions) (*custody.Report, error) {
	t, err := s.Export(ctx, bundleID, custody.ExportOptions{Size: size})
	if err != nil {
		return nil, err
	}
	return custody.Verify(t, s.c.Signer.Public(), opt)
}

// Checkpoint returns a signed checkpoint of the custody log's current state: the public
// endpoint serves it.
func (s *Service) Checkpoint(ctx context.Context) ([]byte, error) {
	return s.keeper.Checkpoint(ctx)
}
