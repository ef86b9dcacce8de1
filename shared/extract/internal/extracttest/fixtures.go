// Package extracttest holds what the tests of evx's extraction packages share: documents
// built in code, a golden-file check, a run of one format reader on bytes, and the small
// limits of the fuzz targets.
package extracttest

import (
	"archive/zip"
	"bytes"
	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// Documents the tests build themselves.

// ZipOf writes a zip archive of the (name, content) pairs.
func ZipOf(t testing.TB, files [][2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const coreXML = `<?xml version="1.0" encoding="UTF-8"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/">
<dc:title>Seizure report</dc:title><dc:creator>Inspector Maes</dc:creator>
<dcterms:created>2026-03-03T10:00:00Z</dcterms:created><dcterms:modified>2026-03-04T11:00:00Z</dcterms:modified>
</cp:coreProperties>`

// DOCX is a Word document with core properties, a tab, a field code and a header.
func DOCX(t testing.TB) []byte {
	return ZipOf(t, [][2]string{
		{"[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`},
		{"docProps/core.xml", coreXML},
		{"word/document.xml", `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>Seized at the </w:t></w:r><w:r><w:t>port of Antwerp</w:t></w:r></w:p>
<w:p><w:r><w:t>Item</w:t><w:tab/><w:t>weight &amp; count</w:t></w:r></w:p>
<w:p><w:r><w:instrText>PAGE</w:instrText><w:t>Signed</w:t></w:r></w:p></w:body></w:document>`},
		{"word/header1.xml", `<w:hdr xmlns:w="w"><w:p><w:r><w:t>RESTRICTED - case 2026/17</w:t></w:r></w:p></w:hdr>`},
	})
}

// XLSX is a workbook of two sheets with shared, rich and inline strings.
func XLSX(t testing.TB) []byte {
	return ZipOf(t, [][2]string{
		{"[Content_Types].xml", `<Types/>`},
		{"xl/workbook.xml", `<workbook/>`},
		{"xl/sharedStrings.xml", `<sst><si><t>Exhibit</t></si><si><r><t>Mobile </t></r><r><t>phone</t></r></si><si><t>Ledger</t><rPh><t>ignored</t></rPh></si></sst>`},
		{"xl/worksheets/sheet1.xml", `<worksheet><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>Weight</t></is></c></row>
<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2"><v>0.25</v></c></row>
<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3" t="s"><v>99</v></c></row></sheetData></worksheet>`},
		{"xl/worksheets/sheet2.xml", `<worksheet><sheetData><row><c t="inlineStr"><is><t>Second sheet</t></is></c></row></sheetData></worksheet>`},
	})
}

// PPTX is a presentation whose slide files are numbered out of order.
func PPTX(t testing.TB) []byte {
	slide := func(s string) string {
		return `<p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="p"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>` + s + `</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>`
	}
	return ZipOf(t, [][2]string{
		{"[Content_Types].xml", `<Types/>`},
		{"ppt/presentation.xml", `<presentation/>`},
		{"ppt/slides/slide2.xml", slide("Timeline of events")},
		{"ppt/slides/slide10.xml", slide("Questions")},
		{"ppt/slides/slide1.xml", slide("Joint investigation team")},
	})
}

// ODT is an OpenDocument text with metadata, spaces, tabs and line breaks.
func ODT(t testing.TB) []byte {
	return ZipOf(t, [][2]string{
		{"mimetype", extractor.TypeODT},
		{"meta.xml", `<office:document-meta xmlns:office="o" xmlns:meta="m" xmlns:dc="d"><office:meta><dc:title>Witness statement</dc:title><meta:initial-creator>Clerk Jansen</meta:initial-creator><meta:creation-date>2026-02-01T09:30:00</meta:creation-date><meta:generator>LibreOffice</meta:generator></office:meta></office:document-meta>`},
		{"content.xml", `<office:document-content xmlns:office="o" xmlns:text="t"><office:body><office:text>
<text:h>Statement</text:h><text:p>I saw<text:s/>the<text:s text:c="2"/>vessel<text:tab/>arrive.</text:p>
<text:p>Signed<text:line-break/>Jansen</text:p></office:text></office:body></office:document-content>`},
	})
}

// EML is a multipart message: encoded headers, an alternative, an HTML part, a PDF attachment.
const EML = "From: =?UTF-8?Q?Proc=C3=BArador?= <proc@example.es>\r\n" +
	"To: Liaison <liaison@example.nl>, desk@example.be\r\n" +
	"Subject: =?UTF-8?B?U29saWNpdHVkIMOhZ2ls?=\r\n" +
	"Date: Tue, 03 Mar 2026 10:15:00 +0100\r\n" +
	"Message-ID: <abc@example.es>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"OUTER\"\r\n\r\n" +
	"--OUTER\r\n" +
	"Content-Type: multipart/alternative; boundary=\"ALT\"\r\n\r\n" +
	"--ALT\r\n" +
	"Content-Type: text/plain; charset=iso-8859-1\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
	"Please find the request attached. Se=F1or Garc=EDa will call.\r\n" +
	"--ALT\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n\r\n" +
	"<p>Please find the <b>request</b> attached.</p>\r\n" +
	"--ALT--\r\n" +
	"--OUTER\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n\r\n" +
	"<html><head><style>p{}</style><script>var x='hidden';</script></head><body><p>Annex <i>one</i></p></body></html>\r\n" +
	"--OUTER\r\n" +
	"Content-Type: application/pdf; name=\"request.pdf\"\r\n" +
	"Content-Disposition: attachment; filename=\"request.pdf\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n\r\n" +
	"JVBERi0xLjQKJSBub3QgYSByZWFsIFBERgo=\r\n" +
	"--OUTER--\r\n"

// HTML has a title, a script, a style, a table and a noscript.
const HTML = `<!DOCTYPE html><html><head><title>Case file</title><style>body{color:red}</style>
<script>document.write("not visible")</script></head><body><h1>Case&nbsp;42</h1><p>Seized <b>goods</b>:</p>
<table><tr><td>phones</td><td>3</td></tr></table><noscript>enable js</noscript><!-- comment --></body></html>`

// PNG is a 7x3 grey image.
func PNG(t testing.TB) []byte {
	img := image.NewGray(image.Rect(0, 0, 7, 3))
	img.Set(1, 1, color.White)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ODS is an OpenDocument spreadsheet of two tables with repeated and empty cells, a date
// and a currency as displayed.
func ODS(t testing.TB) []byte {
	return ZipOf(t, [][2]string{
		{"mimetype", extractor.TypeODS},
		{"meta.xml", `<office:document-meta xmlns:office="o" xmlns:dc="d"><office:meta><dc:title>Exhibit register</dc:title></office:meta></office:document-meta>`},
		{"content.xml", `<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet>
<table:table table:name="Register"><table:table-row><table:table-cell><text:p>Item</text:p></table:table-cell><table:table-cell><text:p>Seized</text:p></table:table-cell><table:table-cell><text:p>Value</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>Phone</text:p></table:table-cell><table:table-cell office:value-type="date" office:date-value="2023-01-01"><text:p>01/01/2023</text:p></table:table-cell><table:table-cell office:value-type="currency"><text:p>€120.00</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16380"/></table:table-row>
<table:table-row><table:table-cell/><table:table-cell><text:p>two</text:p><text:p>lines</text:p></table:table-cell></table:table-row>
<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>
<table:table table:name="Notes"><table:table-row><table:table-cell><text:p>Sealed</text:p></table:table-cell></table:table-row></table:table>
</office:spreadsheet></office:body></office:document-content>`},
	})
}

// ODP is an OpenDocument presentation of two pages, one with speaker notes.
func ODP(t testing.TB) []byte {
	return ZipOf(t, [][2]string{
		{"mimetype", extractor.TypeODP},
		{"content.xml", `<office:document-content xmlns:office="o" xmlns:draw="d" xmlns:text="x" xmlns:presentation="p"><office:body><office:presentation>
<draw:page draw:name="p1"><draw:frame><draw:text-box><text:p>Joint investigation</text:p><text:p>Team meeting</text:p></draw:text-box></draw:frame><presentation:notes><text:p>speaker only</text:p></presentation:notes></draw:page>
<draw:page draw:name="p2"><draw:frame><draw:text-box><text:p>Next steps</text:p></draw:text-box></draw:frame></draw:page>
</office:presentation></office:body></office:document-content>`},
	})
}

// EPUB is an EPUB 3 book of two chapters, the spine in another order than the manifest.
func EPUB(t testing.TB) []byte {
	return ZipOf(t, [][2]string{
		{"mimetype", extractor.TypeEPUB},
		{"META-INF/container.xml", `<container><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`},
		{"OEBPS/content.opf", `<package xmlns:dc="http://purl.org/dc/elements/1.1/"><metadata><dc:title>Case handbook</dc:title><dc:creator>Eurojust desk</dc:creator><dc:date>2026-01-15</dc:date></metadata>
<manifest><item id="c2" href="text/ch2.xhtml" media-type="application/xhtml+xml"/><item id="c1" href="text/ch1.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c1"/><itemref idref="c2"/></spine></package>`},
		{"OEBPS/text/ch1.xhtml", `<html xmlns="http://www.w3.org/1999/xhtml"><head><title>One</title></head><body><h1>Chapter one</h1><p>Mutual legal assistance.</p></body></html>`},
		{"OEBPS/text/ch2.xhtml", `<html xmlns="http://www.w3.org/1999/xhtml"><body><h1>Chapter two</h1><p>Joint investigation teams.</p></body></html>`},
	})
}
