package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/request"
)

// requestExplanations say what each request lifecycle event records (Explain reads them too).
var requestExplanations = map[custody.EventType]phrase{
	custody.RequestIssued:          {"Request: the issuing agency issued the request; its type, parties, legal basis and subject are listed.", "Solicitud: la autoridad emisora emitió la solicitud; se indican su tipo, las partes, la base jurídica y el objeto."},
	custody.RequestReceived:        {"Request: the addressee acknowledged receipt; most legal clocks start here.", "Solicitud: el destinatario acusó recibo; la mayoría de los plazos legales comienzan aquí."},
	custody.RequestNotified:        {"Request: a copy of the order went to the enforcing state's authority (Regulation (EU) 2023/1543 art. 8); its window to raise grounds for refusal starts.", "Solicitud: se remitió copia de la orden a la autoridad del Estado de ejecución (Reglamento (UE) 2023/1543, art. 8); comienza su plazo para alegar motivos de denegación."},
	custody.RequestAccepted:        {"Request: the addressee recognised the request and will execute it.", "Solicitud: el destinatario reconoció la solicitud y la ejecutará."},
	custody.RequestRefused:         {"Request: the addressee or the enforcing authority refused the request; the grounds are listed.", "Solicitud: el destinatario o la autoridad de ejecución denegó la solicitud; se indican los motivos."},
	custody.RequestSuspended:       {"Request: the addressee stopped the request's deadlines; the grounds are listed.", "Solicitud: el destinatario suspendió los plazos de la solicitud; se indican los motivos."},
	custody.RequestResumed:         {"Request: the addressee restarted the request's deadlines.", "Solicitud: el destinatario reanudó los plazos de la solicitud."},
	custody.RequestExtended:        {"Request: a deadline of the request was extended; which and by how much are listed.", "Solicitud: se prorrogó un plazo de la solicitud; se indica cuál y en cuánto."},
	custody.RequestConfirmed:       {"Request: the issuing authority confirmed that a production request followed the preservation order; preservation continues.", "Solicitud: la autoridad emisora confirmó que la orden de conservación fue seguida de una solicitud de entrega; la conservación continúa."},
	custody.RequestAnswered:        {"Request: a bundle answering the request was accepted by evx; its id is listed.", "Solicitud: evx aceptó un lote que responde a la solicitud; se indica su identificador."},
	custody.RequestFulfilled:       {"Request: the addressee declared the request executed.", "Solicitud: el destinatario declaró ejecutada la solicitud."},
	custody.RequestPartlyFulfilled: {"Request: the addressee declared the request executed in part.", "Solicitud: el destinatario declaró ejecutada en parte la solicitud."},
	custody.RequestWithdrawn:       {"Request: the issuing agency withdrew the request.", "Solicitud: la autoridad emisora retiró la solicitud."},
	custody.DeadlineMissed:         {"Request: evx's scheduler found a deadline of the request past, unmet; the deadline and its due time are listed.", "Solicitud: el planificador de evx constató vencido e incumplido un plazo de la solicitud; se indican el plazo y su vencimiento."},
	custody.PeriodEnded:            {"Request: a period of the request (preservation, a window to refuse, an agreement) ended.", "Solicitud: terminó un periodo de la solicitud (conservación, plazo para denegar, un acuerdo)."},
	custody.RequestReminder:        {"Request: evx's scheduler sent a reminder about a deadline to the agency named.", "Solicitud: el planificador de evx envió a la autoridad indicada un recordatorio de un plazo."},
}

// requestBlock is the section on the request the bundle answers (Options.Request): its type
// and legal sources, parties, status, and every deadline with the rule that set it and
// whether it was met.
func (d *doc) requestBlock() {
	s := d.opt.Request
	if s == nil {
		return
	}
	d.heading(d.tr("r.heading"), 60)
	notRecorded := d.tr("notrecorded")
	d.kv(d.tr("r.request"), s.ID+" ("+string(s.Type)+"), "+d.opt.Lang.value("rstatus.", string(s.Status)), false)
	var src []string
	for _, x := range s.Type.Sources() {
		src = append(src, x.String())
	}
	d.kv(d.tr("r.source"), strings.Join(src, "; "), false)
	d.kv(d.tr("r.basis"), or(s.LegalBasis, notRecorded), false)
	d.kv(d.tr("r.issued"), fmt.Sprintf("%s (%s), %s", s.Issuer, s.IssuerPerson, d.formatTime(s.IssuedAt)), false)
	d.kv(d.tr("r.addressee"), s.Addressee, false)
	if s.Enforcing != "" {
		d.kv(d.tr("r.enforcing"), d.tr("r.notified", s.Enforcing, d.yesNo(s.Notified)), false)
	}
	if s.Urgency != "" {
		d.kv(d.tr("r.urgency"), d.opt.Lang.value("urgency.", s.Urgency), false)
	}
	if s.Status == request.Refused {
		d.kv(d.tr("r.refused"), d.tr("r.refusedby", d.opt.Lang.value("party.", string(s.RefusedBy)), strings.Join(s.Grounds, "; ")), false)
	}
	if s.Restricted {
		d.kv(d.tr("r.restriction"), d.tr("r.restricted"), false)
	}
	d.kv(d.tr("r.answered"), or(strings.Join(s.Bundles, ", "), d.tr("r.nobundle")), true)
	for _, dl := range s.Deadlines {
		due := d.tr("r.nodue")
		if !dl.Due.IsZero() {
			due = d.tr("r.due", d.formatTime(dl.Due))
		}
		verdict := d.opt.Lang.value("clock.", dl.Status)
		switch dl.Status {
		case request.ClockMet:
			verdict = d.tr("r.met", d.formatTime(dl.Done))
		case request.ClockLate:
			verdict = d.tr("r.late", d.formatTime(dl.Done))
		case request.ClockMissed:
			verdict = d.tr("r.missed")
		}
		name := d.opt.Lang.value("dl.", dl.Name)
		if name == dl.Name && name != "" {
			name = strings.ToUpper(name[:1]) + name[1:]
		}
		d.kv(name, d.tr("r.deadline", d.opt.Lang.value("kind.", string(dl.Kind)), due, verdict, dl.Citation), false)
	}
	d.kv(d.tr("r.state"), d.tr("r.stateval", s.ID, s.Updated.Format(time.RFC3339)), false)
}
