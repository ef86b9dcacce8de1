// Package request makes the requests evidence answers first-class: mutual legal assistance
// requests, European Investigation Orders, European Production and Preservation Orders and
// joint investigation teams' exchanges, with their parties and the deadlines the law sets.
//
// A request is a custody subject like a bundle: its lifecycle (issued, received, accepted or
// refused, suspended and resumed, extended, answered by bundles, fulfilled, withdrawn,
// deadlines missed) is a chain of signed custody events under custody.RequestSubject(id).
// Its [State] is a function of those events alone ([Fold]): the same events, read from the
// ledger or from an exported trail, give the same state, deadlines included.
//
// Each [Type] cites its legal source ([Type.Sources]); each deadline carries the rule that set
// it ([Rule]), with the article. [Desk] records the events, checking who may do what, and
// [Desk.Sweep] is the scheduled task that records DeadlineMissed and PeriodEnded and sends
// reminders (see [ReminderStages]).
package request
