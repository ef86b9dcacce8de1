package report

import "github.com/evx-project/evx/shared/custody"

// explanations say in plain words what each event type records. The party-boundary names are
// the event names of ETSI EN 319 522-1 (electronic registered delivery).
var explanations = map[custody.EventType]phrase{
	custody.SubmissionAcceptance:      {"ETSI EN 319 522 SubmissionAcceptance: evx accepted the sending agency's bundle: the package was complete and intact, and every document was fingerprinted (SHA-256) and stored.", "ETSI EN 319 522 SubmissionAcceptance: evx aceptó el lote de la autoridad remitente: el paquete estaba completo e íntegro, y de cada documento se calculó la huella digital (SHA-256) y se almacenó."},
	custody.SubmissionRejection:       {"ETSI EN 319 522 SubmissionRejection: evx refused the sending agency's bundle; the reasons are listed.", "ETSI EN 319 522 SubmissionRejection: evx rechazó el lote de la autoridad remitente; se indican los motivos."},
	custody.ContentConsignment:        {"ETSI EN 319 522 ContentConsignment: the bundle was made available to the receiving agency named.", "ETSI EN 319 522 ContentConsignment: el lote se puso a disposición de la autoridad receptora indicada."},
	custody.ContentAccessTracking:     {"ETSI EN 319 522 ContentAccessTracking: the receiving agency downloaded documents of the bundle.", "ETSI EN 319 522 ContentAccessTracking: la autoridad receptora descargó documentos del lote."},
	custody.ConsignmentAcceptance:     {"ETSI EN 319 522 ConsignmentAcceptance: the receiving agency acknowledged receipt, having checked the documents' fingerprints.", "ETSI EN 319 522 ConsignmentAcceptance: la autoridad receptora emitió acuse de recibo, tras comprobar las huellas digitales de los documentos."},
	custody.ConsignmentRejection:      {"ETSI EN 319 522 ConsignmentRejection: the receiving agency refused the delivery; its reasons are listed.", "ETSI EN 319 522 ConsignmentRejection: la autoridad receptora rechazó la entrega; se indican sus motivos."},
	custody.AcceptanceRejectionExpiry: {"ETSI EN 319 522 AcceptanceRejectionExpiry: the receiving agency neither accepted nor refused the delivery before its deadline.", "ETSI EN 319 522 AcceptanceRejectionExpiry: la autoridad receptora no aceptó ni rechazó la entrega antes de su plazo."},
	custody.Hashed:                    {"Internal step (CASE/UCO action): evx computed the fingerprints (hashes) of the documents listed.", "Paso interno (acción CASE/UCO): evx calculó las huellas digitales (hashes) de los documentos indicados."},
	custody.Stored:                    {"Internal step (CASE/UCO action): evx stored the documents in write-once storage, addressed by their fingerprints.", "Paso interno (acción CASE/UCO): evx almacenó los documentos en un almacenamiento de escritura única, identificados por sus huellas digitales."},
	custody.Extracted:                 {"Internal step (CASE/UCO action): evx extracted text and metadata from the documents listed, for search; the originals are unchanged.", "Paso interno (acción CASE/UCO): evx extrajo texto y metadatos de los documentos indicados, para su búsqueda; los originales no se modifican."},
	custody.Resubmission:              {"Internal step: another person of the sending side submitted exactly the same bundle again; it was recorded, and nothing else changed.", "Paso interno: otra persona de la parte remitente volvió a presentar exactamente el mismo lote; se hizo constar y nada más cambió."},
	custody.FixityCheck:               {"Internal step (CASE/UCO action): a scheduled re-check of the stored documents against their recorded fingerprints; any mismatch is listed.", "Paso interno (acción CASE/UCO): nueva comprobación programada de los documentos almacenados frente a sus huellas registradas; se indica toda discordancia."},
	custody.AgencyKeyAdded:            {"Agency directory: a seal key was added to the agency named; its id, validity and record are listed.", "Directorio de autoridades: se añadió una clave de sello a la autoridad indicada; se indican su identificador, su validez y su registro."},
	custody.AgencyKeyRotated:          {"Agency directory: the agency's seal key was replaced by a new one, and the previous key signed the change.", "Directorio de autoridades: la clave de sello de la autoridad se sustituyó por una nueva, y la clave anterior firmó el cambio."},
	custody.AgencyKeyRevoked:          {"Agency directory: the agency's seal key was revoked; seals recorded before the revocation stay valid, later ones do not.", "Directorio de autoridades: se revocó la clave de sello de la autoridad; los sellos registrados antes de la revocación siguen siendo válidos, los posteriores no."},
	custody.AgencyKeyExpired:          {"Agency directory: the agency's seal key reached the end of its validity.", "Directorio de autoridades: la clave de sello de la autoridad llegó al final de su validez."},
	custody.KeyRotation:               {"Key rotation (an event of the log itself, on no bundle): the key that signed evx's records until then signed this statement introducing its successor; later records are signed by the new key.", "Rotación de clave (evento del propio registro, sin lote): la clave que firmaba hasta entonces los registros de evx firmó esta declaración que presenta a su sucesora; los registros posteriores se firman con la nueva clave."},
	custody.RetentionSet:              {"Retention: a preservation order (the request named) forbids deleting the bundle's documents until the date given, or without an end once a production order followed; an ended period is recorded too.", "Conservación: una orden de conservación (la solicitud indicada) prohíbe suprimir los documentos del lote hasta la fecha indicada, o sin término una vez seguida de una orden de entrega; también se hace constar el fin del periodo."},
	custody.RetentionReviewed:         {"Retention review: legal staff of the sending agency decided to keep the bundle until the next review date given, or authorised the disposal of its documents.", "Revisión de la conservación: personal jurídico de la autoridad remitente decidió conservar el lote hasta la siguiente fecha de revisión indicada, o autorizó la supresión de sus documentos."},
	custody.DocumentsDisposed:         {"Disposal: evx deleted the documents listed, no preservation order forbidding it; documents another bundle still holds were kept. This record, which holds only their fingerprints, remains.", "Supresión: evx suprimió los documentos indicados, sin que ninguna orden de conservación lo impidiera; se conservaron los que otro lote aún contiene. Este registro, que solo contiene sus huellas digitales, permanece."},
	// The identifier index's events (pipeline.IdentifiersIndexed, IdentifierQuery, IdentifierMatched).
	"IdentifiersIndexed": {"Internal step: evx entered the check-digit-valid identifiers found in the documents' text (containers, vessels, accounts, phones, wallets, ...) into its hit/no-hit index as keyed hashes, not values; the counts and whether other agencies may match them are listed.", "Paso interno: evx incorporó a su índice de coincidencias (hit/no-hit) los identificadores con dígito de control válido hallados en el texto de los documentos (contenedores, buques, cuentas, teléfonos, monederos, ...) como hashes con clave, no como valores; se indican los recuentos y si otras autoridades pueden consultarlos."},
	"IdentifierQuery":    {"Matching: an agency asked whether anyone holds an identifier; the type, its keyed hash (not the value) and the outcome, hit or no hit, are listed.", "Consulta de coincidencias: una autoridad preguntó si alguien dispone de un identificador; se indican el tipo, su hash con clave (no el valor) y el resultado, coincidencia o no."},
	"IdentifierMatched":  {"Matching: another agency's question hit an identifier this agency holds; the asking agency and the reference it may request under are listed.", "Consulta de coincidencias: la pregunta de otra autoridad coincidió con un identificador que obra en poder de esta autoridad; se indican la autoridad solicitante y la referencia con la que puede solicitarlo."},
}

// Explain returns the plain-language explanation of an event type, in English.
func Explain(t custody.EventType) string { return ExplainIn(t, English) }

// ExplainIn returns the plain-language explanation of an event type in language l.
func ExplainIn(t custody.EventType, l Lang) string {
	p, ok := explanations[t]
	if !ok {
		p, ok = requestExplanations[t]
	}
	if !ok {
		return l.tr("explain.unknown")
	}
	if l == Spanish {
		return p.es
	}
	return p.en
}

// actorKinds name the kinds of actor for a reader (phrase keys).
var actorKinds = map[string]string{
	custody.ActorSystem:      "actor.system",
	custody.ActorUser:        "actor.user",
	custody.ActorCounterpart: "actor.cp",
}

func (d *doc) actorText(a custody.Actor) string {
	k, ok := actorKinds[a.Kind]
	if ok {
		k = d.tr(k)
	} else {
		k = a.Kind
	}
	if k == "" {
		return a.ID
	}
	return a.ID + " (" + k + ")"
}

// yesNo is a boolean in words.
func (d *doc) yesNo(b bool) string {
	if b {
		return d.tr("yes")
	}
	return d.tr("no")
}
