package plain

import (
	"strings"
	"unicode"
)

// alphabets are the letters beyond ASCII of languages, by ISO 639-2/T code (the codes
// Tesseract uses too); for languages of other scripts, the script.
var alphabets = map[string]string{
	"ces": "áčďéěíňóřšťúůýž", "slk": "áäčďéíĺľňóôŕšťúýž", "pol": "ąćęłńóśźż", "slv": "čšž",
	"hrv": "čćđšž", "bos": "čćđšž", "srp_latn": "čćđšž", "hun": "áéíóöőúüű", "ron": "ăâîșțşţ",
	"deu": "äöüß", "fra": "àâæçéèêëîïôœùûüÿ", "spa": "áéíñóúü", "cat": "àçéèíïòóúü",
	"glg": "áéíñóú", "eus": "ñ", "por": "áâãàçéêíóôõú", "ita": "àèéìíîòóùú", "nld": "éëïöèáóú",
	"tur": "çğıöşüâî", "dan": "æøåé", "nor": "æøåéô", "swe": "åäöé", "fin": "äöå", "isl": "áðéíóúýþæö",
	"est": "äöõüšž", "lav": "āčēģīķļņšūž", "lit": "ąčęėįšųūž", "mlt": "ċġħż", "ltz": "äëé",
	"gle": "áéíóú", "afr": "êëéèôîï", "ind": "", "msa": "", "vie": "ăâđêôơưáàảãạ", "sqi": "çë",
}

// scriptOf names the script of languages written in another than Latin.
var scriptOf = map[string]*unicode.RangeTable{
	"rus": unicode.Cyrillic, "ukr": unicode.Cyrillic, "bul": unicode.Cyrillic, "bel": unicode.Cyrillic,
	"mkd": unicode.Cyrillic, "srp": unicode.Cyrillic, "ell": unicode.Greek,
}

// hintBonus rates a reading against the languages a document is expected in: hintWeight
// times the share of its letters beyond ASCII that belong to one of their alphabets (or
// scripts); 0 without such letters or languages it knows. It separates code pages the
// letter statistics cannot (Windows-1250 against ISO-8859-2 in a short Slovak text: š or
// ą). It gives no penalty: measured on the encoding corpus, a penalty made wrong hints
// (a Hungarian text in a bundle between France and Germany) cost readings.
func hintBonus(s string, langs []string) float64 {
	var letters strings.Builder
	var scripts []*unicode.RangeTable
	for _, l := range langs {
		letters.WriteString(alphabets[l])
		if t := scriptOf[l]; t != nil {
			scripts = append(scripts, t)
		}
	}
	alpha := letters.String()
	if alpha == "" && len(scripts) == 0 {
		return 0
	}
	in, n := 0, 0
	for _, r := range s {
		if r < 0x80 || !unicode.IsLetter(r) {
			continue
		}
		n++
		lr := unicode.ToLower(r)
		if strings.ContainsRune(alpha, lr) || (r == 'İ' && strings.ContainsRune(alpha, 'ı')) {
			in++
			continue
		}
		for _, t := range scripts {
			if unicode.Is(t, r) {
				in++
				break
			}
		}
	}
	if n == 0 {
		return 0
	}
	return hintWeight * float64(in) / float64(n)
}

// hintWeight is the largest change a hint makes to a reading's score: enough to decide
// between readings the statistics leave close (2 and 3 cost readings under wrong hints on
// the encoding corpus; 1.5 none).
const hintWeight = 1.5
