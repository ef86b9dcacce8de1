//go:build evx.nophone

package identify

// Built with the evx.nophone tag, identify links no numbering-plan metadata: libphonenumber's,
// with the protobuf runtime it needs, adds some 10 MiB to a program (its reflection also keeps
// every exported method of every linked type). The Lambda functions are built so
// (functions/lambda.mk): they never scan for identifiers, and their bootstraps must stay under
// 16 MiB. Phone numbers are then neither found nor parsed.
const phoneChecks = false

func checkPhone(string, []string) (string, bool) { return "", false }
