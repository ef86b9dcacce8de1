package main

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

// transactions are the bank statement rows of the spreadsheet: date, account, counterparty,
// amount in euro (negative: debit), reference.
var transactions = [][]string{
	{"2026-01-05", "BE00 0000 0000 0001", "NL00 TEST 0000 0000 01", "48500.00", "INVOICE 2026-001 FRUIT"},
	{"2026-01-07", "BE00 0000 0000 0001", "BE00 0000 0000 0777", "-12000.00", "CASH WITHDRAWAL"},
	{"2026-01-19", "BE00 0000 0000 0001", "NL00 TEST 0000 0000 01", "51200.00", "INVOICE 2026-007 FRUIT"},
	{"2026-01-20", "BE00 0000 0000 0001", "PA00 SAMPLE 0000 0099", "-45000.00", "TRANSFER CONSULTING"},
	{"2026-02-02", "BE00 0000 0000 0001", "PA00 SAMPLE 0000 0099", "97000.00", "CONSULTING"},
	{"2026-02-03", "BE00 0000 0000 0001", "BE00 0000 0000 0777", "-9500.00", "CASH WITHDRAWAL"},
	{"2026-02-23", "BE00 0000 0000 0001", "NL00 TEST 0000 0000 01", "49900.00", "INVOICE 2026-015 FRUIT"},
	{"2026-02-24", "BE00 0000 0000 0001", "PA00 SAMPLE 0000 0099", "-48000.00", "TRANSFER CONSULTING"},
	{"2026-03-09", "BE00 0000 0000 0001", "PA00 SAMPLE 0000 0099", "120000.00", "CONSULTING Q1"},
	{"2026-03-10", "BE00 0000 0000 0001", "BE00 0000 0000 0777", "-15000.00", "CASH WITHDRAWAL"},
}

// xlsx writes a one-sheet OOXML workbook by hand: a header row of shared strings and data
// rows whose amounts are numbers. Zip entries carry a fixed time, so the bytes never change.
func xlsx(rows [][]string) ([]byte, error) {
	head := []string{"Date", "Account", "Counterparty", "Amount (EUR)", "Reference"}
	var strs []string
	index := map[string]int{}
	sref := func(s string) int {
		if i, ok := index[s]; ok {
			return i
		}
		index[s] = len(strs)
		strs = append(strs, s)
		return index[s]
	}
	var sheet strings.Builder
	sheet.WriteString(xml.Header)
	sheet.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	cell := func(col, row int, v string, number bool) {
		ref := fmt.Sprintf("%c%d", 'A'+col, row)
		if number {
			fmt.Fprintf(&sheet, `<c r="%s"><v>%s</v></c>`, ref, v)
			return
		}
		fmt.Fprintf(&sheet, `<c r="%s" t="s"><v>%d</v></c>`, ref, sref(v))
	}
	// A title row marks the sample, then the header and the data.
	sheet.WriteString(`<row r="1">`)
	cell(0, 1, banner+" - account statement of Sample Fruit Import BV", false)
	sheet.WriteString(`</row><row r="2">`)
	for i, h := range head {
		cell(i, 2, h, false)
	}
	sheet.WriteString(`</row>`)
	for r, row := range rows {
		fmt.Fprintf(&sheet, `<row r="%d">`, r+3)
		for i, v := range row {
			cell(i, r+3, v, i == 3)
		}
		sheet.WriteString(`</row>`)
	}
	sheet.WriteString(`</sheetData></worksheet>`)

	var ss strings.Builder
	ss.WriteString(xml.Header)
	fmt.Fprintf(&ss, `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, len(strs), len(strs))
	for _, s := range strs {
		ss.WriteString(`<si><t>`)
		xml.EscapeText(&ss, []byte(s))
		ss.WriteString(`</t></si>`)
	}
	ss.WriteString(`</sst>`)

	parts := []struct{ name, body string }{
		{"[Content_Types].xml", xml.Header + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>` +
			`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
			`</Types>`},
		{"_rels/.rels", xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
			`</Relationships>`},
		{"docProps/core.xml", xml.Header + `<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
			`<dc:title>Bank transactions, Sample Fruit Import BV (sample data)</dc:title><dc:creator>evx sample data (fictional)</dc:creator>` +
			`<dcterms:created xsi:type="dcterms:W3CDTF">2026-03-14T17:05:00Z</dcterms:created></cp:coreProperties>`},
		{"xl/workbook.xml", xml.Header + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="Transactions" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>` +
			`</Relationships>`},
		{"xl/worksheets/sheet1.xml", sheet.String()},
		{"xl/sharedStrings.xml", ss.String()},
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, p := range parts {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Deflate, Modified: sampleTime})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(p.body)); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
