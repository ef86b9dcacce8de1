// Command api is evx's HTTP API function: HTTP API (payload 2.0) events behind a JWT
// authorizer, served by the shared/api handler; identity from the token's claims.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/evx-project/evx/functions/internal/published"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/aws/awsenv"
	"github.com/evx-project/evx/shared/report"
)

func main() {
	log := slog.New(lambdacontext.NewLogHandler())
	cfg, err := awsenv.FromEnv(os.Getenv)
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(1)
	}
	fonts, err := report.LoadFonts(os.DirFS(cfg.Fonts)) // shipped beside bootstrap, not linked in
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(1)
	}
	opts := []awsenv.Option{awsenv.WithS3(), awsenv.WithHeadsKept()}
	if cfg.IndexTable != "" { // the identifier index (template.yaml sets it)
		opts = append(opts, awsenv.WithMatcher())
	}
	env, err := awsenv.Open(context.Background(), cfg, log, opts...)
	if err != nil {
		log.Error("init", "err", err)
		os.Exit(1)
	}
	claims := Claims{Issuer: os.Getenv("EVX_JWT_ISSUER"), Directory: env.Directory, Agency: os.Getenv("EVX_AGENCY")}
	a := api.New(env.Service, s3Spooler{env}, claims, api.Limits{MaxUpload: MaxUpload}, log).WithHomeAgency(claims.Agency).WithReportFonts(fonts).WithDirectory(env.Directory).WithRequests(env.Requests)
	if env.Matcher != nil {
		a = a.WithMatcher(env.Matcher)
	}
	h := &Handler{API: a,
		Claims: claims, Service: env.Service, Presign: env.Blobs.PresignGet,
		Checkpoint: func(ctx context.Context) ([]byte, error) { return published.Latest(ctx, env.S3, cfg.Bucket) },
		Uploads:    &Multipart{S3: env.S3, Presign: s3.NewPresignClient(env.S3), Bucket: cfg.UploadsBucket, Submit: env.Submit, Clock: time.Now}}
	lambda.Start(h.Handle)
}
