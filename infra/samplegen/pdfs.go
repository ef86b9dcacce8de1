package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-pdf/fpdf"
)

// newPDF returns an A4 document with fixed dates and metadata, so its bytes never change.
func newPDF(title string) *fpdf.Fpdf {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetMargins(20, 20, 20)
	f.SetAutoPageBreak(true, 20)
	f.SetCreationDate(sampleTime)
	f.SetModificationDate(sampleTime)
	f.SetCatalogSort(true)
	f.SetTitle(title, true)
	f.SetAuthor("evx sample data (fictional)", true)
	f.SetCreator("evx samplegen", true)
	f.SetProducer("evx samplegen", true)
	f.AliasNbPages("{nb}")
	return f
}

func output(f *fpdf.Fpdf) ([]byte, error) {
	var b bytes.Buffer
	if err := f.Output(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// header prints the sample banner and a title; family is a core font or an added one.
func header(f *fpdf.Fpdf, family, title, ref string) {
	f.SetFont(family, "B", 9)
	f.SetTextColor(180, 0, 0)
	f.CellFormat(0, 6, banner, "1", 1, "C", false, 0, "")
	f.SetTextColor(0, 0, 0)
	f.Ln(4)
	f.SetFont(family, "B", 15)
	f.MultiCell(0, 7, title, "", "L", false)
	f.SetFont(family, "", 10)
	f.CellFormat(0, 6, ref, "", 1, "L", false, 0, "")
	f.Ln(3)
}

func footer(f *fpdf.Fpdf, family string) {
	f.SetFooterFunc(func() {
		f.SetY(-14)
		f.SetFont(family, "", 8)
		f.SetTextColor(90, 90, 90)
		f.CellFormat(0, 5, fmt.Sprintf("%s - page %d of {nb}", banner, f.PageNo()), "", 0, "C", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
}

func field(f *fpdf.Fpdf, family, label, value string) {
	f.SetFont(family, "B", 10)
	f.CellFormat(38, 5.5, label, "", 0, "L", false, 0, "")
	f.SetFont(family, "", 10)
	f.MultiCell(0, 5.5, value, "", "L", false)
}

func para(f *fpdf.Fpdf, family, text string) {
	f.SetFont(family, "", 10)
	f.MultiCell(0, 5.2, text, "", "L", false)
	f.Ln(2)
}

func table(f *fpdf.Fpdf, family string, widths []float64, head []string, rows [][]string) {
	f.SetFont(family, "B", 9)
	f.SetFillColor(230, 230, 230)
	for i, h := range head {
		f.CellFormat(widths[i], 6, h, "1", 0, "L", true, 0, "")
	}
	f.Ln(-1)
	f.SetFont(family, "", 9)
	for _, r := range rows {
		for i, c := range r {
			f.CellFormat(widths[i], 5.5, c, "1", 0, "L", false, 0, "")
		}
		f.Ln(-1)
	}
	f.Ln(3)
}

// seizurePDF: the seizure report, in a core font (WinAnsi encoding).
func seizurePDF() ([]byte, error) {
	f := newPDF("Seizure report 2026-114 (sample data)")
	footer(f, "Helvetica")
	f.AddPage()
	header(f, "Helvetica", "Seizure report 2026-114", "Case OM-2026-114 - Zeehavenpolitie Rotterdam (fictional unit)")
	field(f, "Helvetica", "Date and time", "14 March 2026, 06:10 (local time)")
	field(f, "Helvetica", "Place", "Port of Rotterdam, container terminal 4, container MSKU 000000-6")
	field(f, "Helvetica", "Officers", "Insp. A. Example (lead), Sgt. B. Sample")
	field(f, "Helvetica", "Authority", "Search under warrant RC-2026-0311 of the examining magistrate (fictional)")
	f.Ln(3)
	para(f, "Helvetica", "On opening the container, which had been declared as carrying fresh fruit, the officers found a false wall 40 cm in front of the doors. Behind it were 16 sports bags holding rectangular packages wrapped in plastic and tape. A field test of one package indicated cocaine. The total gross weight of the packages was 412 kg.")
	table(f, "Helvetica", []float64{28, 82, 60},
		[]string{"Seal", "Item", "Remarks"},
		[][]string{
			{"88301-88316", "16 sports bags with packages", "412 kg gross, field test positive"},
			{"88317", "Mobile phone, black (exhibit PH-1)", "found in the driver's cabin"},
			{"88318", "Mobile phone, blue (exhibit PH-2)", "found in the driver's cabin"},
			{"88319", "Bill of lading BL-SAMPLE-0001", "consignee: Sample Fruit Import BV"},
			{"88320", "Laptop, grey (exhibit LT-1)", "found in the terminal office"},
		})
	para(f, "Helvetica", "Chain of custody: the items were sealed on site at 07:05 and handed to the forensic laboratory on 14 March 2026 at 14:30 against receipt FL-2026-0381. The phones were handed to the digital forensics unit the same day.")
	para(f, "Helvetica", "Follow-up: the bank records of the consignee are requested from Belgium under the 1959 European Convention on Mutual Assistance in Criminal Matters, request MLA-2026-0042.")
	f.Ln(6)
	field(f, "Helvetica", "Signed", "Insp. A. Example, 14 March 2026")
	return output(f)
}

// phonePDF: a phone-extraction summary in an embedded Unicode font, so that the Polish and
// Greek names of contacts survive.
func phonePDF(fonts string) ([]byte, error) {
	ttf, err := os.ReadFile(filepath.Join(fonts, "DejaVuSans.ttf"))
	if err != nil {
		return nil, err
	}
	bold, err := os.ReadFile(filepath.Join(fonts, "DejaVuSans-Bold.ttf"))
	if err != nil {
		return nil, err
	}
	f := newPDF("Forensic phone-extraction summary PH-1, PH-2 (sample data)")
	f.AddUTF8FontFromBytes("dejavu", "", ttf)
	f.AddUTF8FontFromBytes("dejavu", "B", bold)
	footer(f, "dejavu")
	f.AddPage()
	header(f, "dejavu", "Forensic phone-extraction summary", "Exhibits PH-1 and PH-2, seals 88317-88318 - case OM-2026-114 - report DF-2026-0207")
	field(f, "dejavu", "Examiner", "Ing. C. Testcase, digital forensics unit (fictional)")
	field(f, "dejavu", "Received", "14 March 2026, 16:10, seals intact")
	field(f, "dejavu", "Method", "Logical and file-system extraction; images hashed with SHA-256 on acquisition")
	f.Ln(3)
	table(f, "dejavu", []float64{20, 62, 88},
		[]string{"Exhibit", "Device", "Extraction image (SHA-256, first 32 hex digits)"},
		[][]string{
			{"PH-1", "Smartphone, model SAMPLE-X1", "5a1f0c3e9b7d2a4c6e8f0a1b3c5d7e9f"},
			{"PH-2", "Smartphone, model SAMPLE-Y2", "c0ffee00d15ea5e0ba5eba11deadbeef"},
		})
	para(f, "dejavu", "Findings (summary). PH-1 holds 214 contacts and 3,180 messages between 1 January and 14 March 2026. The contacts of interest below exchanged messages about the arrival of container MSKU 000000-6. All names are invented for this sample.")
	table(f, "dejavu", []float64{58, 40, 72},
		[]string{"Contact (as stored)", "Number", "Messages, first - last"},
		[][]string{
			{"Łukasz Wzór", "+48 000 000 001", "41, 2026-01-03 - 2026-03-13"},
			{"Zofia Przykładowa", "+48 000 000 002", "17, 2026-02-11 - 2026-03-12"},
			{"Νίκος Δείγμα", "+30 000 000 0003", "9, 2026-02-20 - 2026-03-14"},
			{"\"Fruit\"", "+31 0 0000 0004", "63, 2026-01-02 - 2026-03-14"},
		})
	para(f, "dejavu", "PH-2 was locked; a file-system extraction succeeded on 15 March 2026. Its contents are still being reviewed and will be reported separately.")
	return output(f)
}

// labPDF: a two-page laboratory report in Times.
func labPDF() ([]byte, error) {
	f := newPDF("Laboratory analysis FL-2026-0381 (sample data)")
	footer(f, "Times")
	f.AddPage()
	header(f, "Times", "Forensic laboratory report FL-2026-0381: analysis of seized substances", "Case OM-2026-114 - seals 88301-88316 - received 14 March 2026, 14:30")
	field(f, "Times", "Analyst", "Dr. D. Placeholder, forensic chemistry (fictional)")
	field(f, "Times", "Methods", "Gas chromatography-mass spectrometry (GC-MS); Fourier-transform infrared spectroscopy (FTIR); quantitation by GC-FID against a certified reference standard")
	f.Ln(3)
	para(f, "Times", "One package was sampled from each of the 16 bags. The net weight of each package was determined after removal of the wrapping. The results below are the mean of duplicate determinations.")
	rows := make([][]string, 0, 16)
	total := 0.0
	for i := 0; i < 16; i++ {
		total += 25.0 + float64((i*3)%7)/10
		purity := 78 + (i*7)%15
		rows = append(rows, []string{
			fmt.Sprintf("88%03d", 301+i),
			fmt.Sprintf("S-%02d", i+1),
			fmt.Sprintf("%.1f kg", 25.0+float64((i*3)%7)/10),
			"cocaine hydrochloride",
			fmt.Sprintf("%d %%", purity),
		})
	}
	table(f, "Times", []float64{24, 20, 28, 60, 38},
		[]string{"Seal", "Sample", "Net weight", "Substance identified", "Purity (as base)"}, rows)
	f.AddPage()
	f.SetFont("Times", "B", 12)
	f.CellFormat(0, 7, "Conclusion", "", 1, "L", false, 0, "")
	para(f, "Times", fmt.Sprintf("All 16 samples contain cocaine hydrochloride. No other controlled substance was detected. The total net weight of the packages is %.1f kg. The purity ranges from 78 %% to 92 %% (as base).", total))
	para(f, "Times", "The remaining material was resealed under seals 88401-88416 and returned to the evidence store on 16 March 2026.")
	f.Ln(6)
	field(f, "Times", "Signed", "Dr. D. Placeholder, 16 March 2026")
	return output(f)
}
