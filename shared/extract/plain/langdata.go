package plain

// The statistics the encoding detector scores a decoded text with: how common a letter or
// character is in the languages whose legacy encodings evx reads. A wrong decoding of the
// same bytes yields rarer letters, letters in the wrong case, box-drawing symbols or random
// ideographs, and so scores lower.

// cyrillicFreq: letter frequencies (per cent) of Russian running text, lower case, with the
// letters of Ukrainian, Belarusian, Serbian and Macedonian at a modest share.
var cyrillicFreq = map[rune]float64{
	'о': 10.97, 'е': 8.45, 'а': 8.01, 'и': 7.35, 'н': 6.70, 'т': 6.26, 'с': 5.47, 'р': 4.73,
	'в': 4.54, 'л': 4.40, 'к': 3.49, 'м': 3.21, 'д': 2.98, 'п': 2.81, 'у': 2.62, 'я': 2.01,
	'ы': 1.90, 'ь': 1.74, 'г': 1.70, 'з': 1.65, 'б': 1.59, 'ч': 1.44, 'й': 1.21, 'х': 0.97,
	'ж': 0.94, 'ш': 0.73, 'ю': 0.64, 'ц': 0.48, 'щ': 0.36, 'э': 0.32, 'ф': 0.26, 'ъ': 0.20,
	'ё': 0.20, 'і': 2.0, 'ї': 0.6, 'є': 0.4, 'ґ': 0.1, 'ў': 0.5, 'ј': 0.8, 'љ': 0.3, 'њ': 0.4,
	'ћ': 0.3, 'ђ': 0.1, 'џ': 0.1, 'ѓ': 0.05, 'ќ': 0.05, 'ѕ': 0.05,
}

// greekFreq: letter frequencies (per cent) of modern Greek, lower case, accents included.
var greekFreq = map[rune]float64{
	'α': 8.0, 'ο': 7.0, 'ι': 6.5, 'ε': 6.0, 'τ': 7.5, 'σ': 3.5, 'ν': 6.0, 'η': 3.5, 'υ': 3.0,
	'ρ': 4.0, 'π': 3.5, 'κ': 3.5, 'μ': 2.5, 'λ': 2.5, 'δ': 1.5, 'γ': 1.5, 'ς': 2.5, 'ω': 1.5,
	'θ': 1.0, 'χ': 1.0, 'φ': 0.6, 'β': 0.6, 'ξ': 0.3, 'ζ': 0.3, 'ψ': 0.1, 'ά': 2.0, 'έ': 1.5,
	'ί': 2.0, 'ό': 2.0, 'ύ': 0.8, 'ή': 1.0, 'ώ': 0.6, 'ϊ': 0.1, 'ϋ': 0.05, 'ΐ': 0.05,
}

// latinWeight: the score of a lower-case accented Latin letter: how common it is across the
// languages written in Windows-1252, Windows-1250 and ISO-8859-2. Letters of no living
// orthography in common use score below zero.
var latinWeight = map[rune]float64{
	'é': 1.5, 'á': 1.2, 'í': 1.0, 'ó': 1.0, 'ú': 0.8, 'à': 1.0, 'è': 1.0, 'ì': 0.3, 'ò': 0.5,
	'ù': 0.5, 'â': 0.6, 'ê': 0.7, 'î': 0.5, 'ô': 0.5, 'û': 0.3, 'ä': 1.2, 'ö': 1.0, 'ü': 1.2,
	'ß': 0.8, 'ñ': 0.9, 'ç': 0.8, 'ã': 0.7, 'õ': 0.5, 'ë': 0.3, 'ï': 0.3, 'ÿ': -1.0, 'å': 0.8,
	'æ': 0.5, 'ø': 0.7, 'č': 1.0, 'ř': 0.8, 'š': 1.0, 'ž': 0.9, 'ě': 0.8, 'ů': 0.6, 'ą': 0.9,
	'ę': 0.9, 'ł': 1.0, 'ś': 0.7, 'ź': 0.4, 'ż': 0.7, 'ć': 0.7, 'ń': 0.5, 'ő': 0.6, 'ű': 0.4,
	'ý': 0.6, 'ň': 0.4, 'ť': 0.4, 'ď': 0.4, 'ľ': 0.4, 'ĺ': -0.3, 'ŕ': -0.5, 'ă': 0.5, 'ş': 0.5,
	'ţ': 0.2, 'ț': 0.3, 'ș': 0.4, 'đ': 0.3, 'ð': -0.2, 'þ': -0.3, 'ğ': 0.5, 'ı': 0.6,
	'ō': -0.5, 'ū': -0.5, 'ā': -0.5, 'ē': -0.5, 'ī': -0.5,
}

// commonHanzi: the most frequent Chinese characters (simplified), about 500; in a
// correctly decoded text most ideographs are among them.
const commonHanzi = "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心她本前开但因只从想实日军者意无力它与长把机十民第公此已工使情明性知全三又关点正业外将两高间由问很最重并物手应战向头文体政美相见被利什二等产或新己制身果加西斯月话合回特代内信表化老给世位次度门任常先海通教儿原东声提立及比员解水名真论处走义各入几口认条平系气题活尔更别打女变四神总何电数安少报才结反受目太量再感建务做接必场件计管期市直德资命山金指克许统区保至队形社便空决治展马科司五基眼书非则听白却界达光放强即像难且权思王象完设式色路记南品住告类求据程北边死张该交规万取拉格望觉术领共确传师观清今切院让识候带导争运笑飞风步改收根干造言联持组每济车亲极林服快办议往元英士证近失转夫令准布始怎呢存未远叫台单影具罗字爱击流备兵连调深商算质团集百需价花党华城石级整府离况亚请技际约示复病息究线似官火断精满支视消越器容照须九增研写称企八功吗包片史委乎查轻易早曾除农找装广显吧阿李标谈吃图念六引历首医局突专费号尽另周较注语仅考落青随选列武红响虽推势参希古众构房半节土投某案黑维革划敌致陈律足态护七兴派孩验责营星够章音跟志底站严巴例防族供效续施留讲型"

// commonKanji: frequent kanji of Japanese text, in their Japanese forms (those shared with
// simplified Chinese are in commonHanzi).
const commonKanji = "日本人年大十二一中会出三上子生行事自分見時間地長手前者円同国後実外方新話部合市内明気高東業理社場入問体目家作言定所思民通力金水田名現開発店電当物学心来主月書員近道度全性代世百和関小下最要知回意女取数点表法野多先男安信原動連経強口使教化重第山文何彼私今持聞読語帰休様等達議選首政府党総区県警察報告調査件容疑逮捕判決裁証拠押収違反罪被害者弁護検事務所係官庁省局課長氏殿申請求依頼書類送付受領確認署名捺印写真資料記録情報提供協力要請回答期限延長変更訂正削除追加添付参照以上敬具拝啓様宛先住所電話番号個人保護"

// commonHangul: the most frequent Hangul syllables of Korean running text.
const commonHangul = "이다는의에하고을가지서로한기사대도를자니리수어일정아으인시해전나국게요들제여부라주거만그보성원면동우상실무있했것내과경장소중문연세공위생모조적미마오학회발구비관개신화방저물되말없와업년까안선분계진행명당통심날식같본합바래감결두노치스민후데트체현및던였겠습든음운럼때더럽울록잘할함야엇왜누군께님드린려알았"
