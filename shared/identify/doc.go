// Package identify finds the identifiers that drug-trafficking cases turn on in the text of
// evidence documents (shipping containers, vessels, bank accounts, phones, wallets, vehicles,
// air waybills, addresses) and says, for each, whether its check digit or checksum holds.
//
// [Find] scans one text; [FindParts] scans several parts of one document (its body, its
// e-mail headers) under one cap; [FromRecord] scans the extraction record evx's pipeline
// stores for each document. [Parse] reads one value given whole, as a person types it into
// a query, and returns a typed error when it is not an identifier of that type.
//
// Precision comes before recall: a false container number sends officers to the wrong
// port. So a candidate must stand between word boundaries; the types whose form alone is
// too common in documents (IMO and MMSI numbers, BIC, air waybills, national-format phone
// numbers, VINs without a North American check digit) must also follow a label that names
// them ("IMO", "MMSI", "BIC"/"SWIFT", "AWB", "tel", "VIN", ...) on the same or the previous
// line; where two candidates overlap, a valid one wins over an invalid one and the more
// specific type over the more general. Only findings whose form holds and whose check digit
// holds (where the type has one) are identifiers ([Result.Identifiers]); look-alikes whose
// check fails ([Result.LookAlikes]) are kept apart: an invalid container number is itself a
// lead, or an OCR error, and is never matched.
//
// Every call is bounded: [Options.MaxInput] bytes of text are scanned and at most
// [Options.MaxFindings] findings are kept; reaching either sets [Result.Partial] and names
// the limit in [Result.Stop]. Nothing here panics on any input (FuzzFind).
//
// The normalised value of a finding ([Finding.Value]) is the form the hit/no-hit index keys:
// container, IBAN, BIC and VIN upper case without spaces (a BIC's "XXX" branch dropped),
// phone numbers in E.164, e-mail addresses and Ethereum addresses in lower case, bech32
// addresses in lower case, IP addresses as net/netip prints them (RFC 5952 for IPv6), air
// waybills as "PPP-SSSSSSSS".
package identify
