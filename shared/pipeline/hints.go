package pipeline

import "context"

type bundleStatesKey struct{}

type bundleStates struct{ requesting, requested string }

// BundleStates returns the requesting and requested states of the bundle whose document an
// [Extractor] is reading with ctx (bag-info.txt's EVX-Requesting-State and
// EVX-Requested-State, ISO 3166-1 alpha-2 codes as the uploader wrote them), for hints such
// as the languages to read scans in; empty outside an intake or when the bag names none.
func BundleStates(ctx context.Context) (requesting, requested string) {
	s, _ := ctx.Value(bundleStatesKey{}).(bundleStates)
	return s.requesting, s.requested
}

func withBundleStates(ctx context.Context, requesting, requested string) context.Context {
	return context.WithValue(ctx, bundleStatesKey{}, bundleStates{requesting, requested})
}
