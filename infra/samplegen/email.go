package main

import (
	"encoding/base64"
	"strings"
)

// sealList is the e-mail's attachment.
const sealList = `Seal list, case OM-2026-114 (SAMPLE DATA)
88301-88316  16 sports bags with packages, 412 kg gross
88317        mobile phone PH-1
88318        mobile phone PH-2
88319        bill of lading BL-SAMPLE-0001
88320        laptop LT-1
`

// email returns a MIME message (RFC 5322, CRLF line ends) with a text body and the seal
// list attached, base64-encoded as mail clients send it.
func email() []byte {
	const boundary = "evx-sample-boundary-0001"
	var b strings.Builder
	w := func(lines ...string) {
		for _, l := range lines {
			b.WriteString(l)
			b.WriteString("\r\n")
		}
	}
	w("From: \"A. Example\" <a.example@politie.example>",
		"To: \"Liaison desk BE-FPP\" <liaison@fpp.example>",
		"Cc: \"Central authority NL\" <mla@justice.example>",
		"Subject: MLA-2026-0042: seal list and request for bank records (SAMPLE DATA)",
		"Date: Sat, 14 Mar 2026 18:05:00 +0100",
		"Message-ID: <20260314180500.0001@politie.example>",
		"MIME-Version: 1.0",
		"Content-Type: multipart/mixed; boundary=\""+boundary+"\"",
		"",
		"This is a multi-part message in MIME format.",
		"--"+boundary,
		"Content-Type: text/plain; charset=utf-8",
		"Content-Transfer-Encoding: 8bit",
		"",
		"SAMPLE DATA - FICTIONAL - NOT A REAL CASE OR PERSON",
		"",
		"Dear colleagues,",
		"",
		"Following this morning's seizure of 412 kg of cocaine in container",
		"MSKU 000000-6 at the Port of Rotterdam (case OM-2026-114), please find",
		"attached the seal list. The formal request MLA-2026-0042 for the bank",
		"records of Sample Fruit Import BV follows through the central authority.",
		"",
		"Kind regards,",
		"A. Example, Zeehavenpolitie Rotterdam",
		"",
		"--"+boundary,
		"Content-Type: text/plain; charset=utf-8; name=\"seal-list.txt\"",
		"Content-Disposition: attachment; filename=\"seal-list.txt\"",
		"Content-Transfer-Encoding: base64",
		"")
	enc := base64.StdEncoding.EncodeToString([]byte(sealList))
	for len(enc) > 76 {
		w(enc[:76])
		enc = enc[76:]
	}
	w(enc, "--"+boundary+"--")
	return []byte(b.String())
}
