// Command api is evx's HTTP API function: HTTP API (payload 2.0) events behind a JWT
// authorizer, served by the shared/api handler; identity from the token's claims.
package main

import (
	"context"
	"log/slog"
	"os"

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
	env, err := awsenv.Open(context.Background(), cfg, log)
	if err != nil {
		log.Error("init", "err", err)
		os.Exit(1)
	}
	h := &Handler{API: api.New(env.Service, s3Spooler{env}, Claims{}, api.Limits{MaxUpload: MaxUpload}, log).WithReportFonts(fonts),
		Service: env.Service, Presign: env.Blobs.PresignGet}
	lambda.Start(h.Handle)
}
