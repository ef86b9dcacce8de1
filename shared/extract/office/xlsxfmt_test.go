package office

import (
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

// TestXLSXFormats: numbers read as their formats show them, sheets in the workbook's order
// under their names.
func TestXLSXFormats(t *testing.T) {
	cell := func(ref, style, v string) string { return `<c r="` + ref + `" s="` + style + `"><v>` + v + `</v></c>` }
	doc := extracttest.ZipOf(t, [][2]string{
		{"[Content_Types].xml", `<Types/>`},
		{"xl/workbook.xml", `<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr/><sheets>` +
			`<sheet name="Seizures 2023" sheetId="1" r:id="rId2"/><sheet name="Notes" sheetId="2" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Target="worksheets/sheet2.xml"/></Relationships>`},
		{"xl/styles.xml", `<styleSheet><numFmts count="3"><numFmt numFmtId="164" formatCode="dd/mm/yyyy\ hh:mm"/>` +
			`<numFmt numFmtId="165" formatCode="[$-409]mmmm d, yyyy;@"/><numFmt numFmtId="166" formatCode="&quot;EUR &quot;#,##0.00"/></numFmts>` +
			`<cellXfs><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="10"/><xf numFmtId="4"/><xf numFmtId="165"/><xf numFmtId="20"/><xf numFmtId="166"/></cellXfs></styleSheet>`},
		{"xl/worksheets/sheet2.xml", `<worksheet><sheetData><row>` + cell("A1", "1", "44927") + cell("B1", "2", "45000.5") + cell("C1", "3", "0.125") +
			cell("D1", "4", "1234567.891") + cell("E1", "5", "44927") + cell("F1", "0", "0.30000000000000004") + cell("G1", "6", "0.75") +
			cell("H1", "7", "-1500") + `<c r="I1" t="b"><v>1</v></c></row></sheetData></worksheet>`},
		{"xl/worksheets/sheet1.xml", `<worksheet><sheetData><row><c t="inlineStr"><is><t>checked</t></is></c></row></sheetData></worksheet>`},
	})
	res, err := extracttest.Read(t, doc, extractor.TypeXLSX, extractor.DefaultLimits(), Read)
	if err != nil {
		t.Fatal(err)
	}
	want := "Seizures 2023\n2023-01-01\t15/03/2023 12:00\t12.50%\t1,234,567.89\tJanuary 1, 2023\t0.3\t18:00\t-1,500.00\tTRUE\n\fNotes\nchecked\n\f"
	if res.Text != want {
		t.Errorf("Text = %q,\nwant %q", res.Text, want)
	}
	if res.Meta.Pages != 2 {
		t.Errorf("Pages = %d, want 2", res.Meta.Pages)
	}
}

func TestSerialTime(t *testing.T) {
	cases := []struct {
		serial float64
		want   string
	}{
		{1, "1900-01-01"}, {59, "1900-02-28"}, {61, "1900-03-01"}, {44927, "2023-01-01"}, {2958465, "9999-12-31"},
	}
	for _, tc := range cases {
		got, ok := (&workbook{}).serialTime(tc.serial)
		if !ok || got.Format("2006-01-02") != tc.want {
			t.Errorf("serialTime(%v) = %v, want %s", tc.serial, got, tc.want)
		}
	}
	if got, _ := (&workbook{date1904: true}).serialTime(0); got.Format("2006-01-02") != "1904-01-01" {
		t.Errorf("1904 system: serialTime(0) = %v", got)
	}
	wb := &workbook{xfFormat: []int{0, 200, 201}, formats: map[int]string{200: `yyyy"年"m"月"d"日"`, 201: "[h]:mm"}}
	if s := wb.formatNumber("44927", 1); s != "2023年1月1日" {
		t.Errorf("formatNumber(44927, yyyy年m月d日) = %q", s)
	}
	if s := wb.formatNumber("1.5", 2); s != "36:00" {
		t.Errorf("formatNumber(1.5, [h]:mm) = %q, want 36:00", s)
	}
	if _, ok := (&workbook{}).serialTime(-1); ok {
		t.Errorf("serialTime(-1) accepted")
	}
	if s := (&workbook{}).formatNumber("1e400", 0); !strings.Contains(s, "e400") {
		t.Errorf("formatNumber(1e400) = %q", s)
	}
}

// FuzzNumberFormat shows numbers through arbitrary format codes (seeds: the built-in codes
// and the custom ones of the tests): no panic, and a result of bounded length.
func FuzzNumberFormat(f *testing.F) {
	f.Add("44927.5", "dd/mm/yyyy\\ hh:mm", false)
	f.Add("-1500", `"EUR "#,##0.00`, true)
	f.Add("0.125", "0.00%", false)
	f.Add("1e308", "[$-409]mmmm d, yyyy;@", false)
	f.Add("2958466", "yyyy-mm-dd [h]:mm:ss.000 AM/PM", true)
	f.Fuzz(func(t *testing.T, v, code string, date1904 bool) {
		wb := &workbook{date1904: date1904, xfFormat: []int{164}, formats: map[int]string{164: code}}
		if out := wb.formatNumber(v, 0); len(out) > 4*len(code)+len(v)+400 {
			t.Fatalf("formatNumber(%q, %q) = %d bytes", v, code, len(out))
		}
	})
}
