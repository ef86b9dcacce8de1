"""Expands a SAM template into the CloudFormation template SAM deploys.

    AWS_DEFAULT_REGION=eu-west-1 python3 infra/samtemplate/expand.py template.yaml > expanded.json

It runs aws-sam-translator (the library `sam deploy` uses) with each function's CodeUri set to
an S3 location, as `sam package` would, and no managed-policy lookups (evx's functions name
only inline policies; SAM's own managed policies keep their ARNs). The Go tests of
infra/samtemplate run it and check the expansion; `make cfn-lint` lints it.
"""
import json
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


def main(path):
    with open(path) as f:
        doc = yaml_parse(f.read())
    for name, res in doc.get("Resources", {}).items():
        if res.get("Type") == "AWS::Serverless::Function":
            res["Properties"]["CodeUri"] = "s3://evx-artifacts/" + name + ".zip"
    out = transform(doc, {}, None)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: expand.py TEMPLATE")
    main(sys.argv[1])
