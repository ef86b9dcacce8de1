package plain

//go:generate go run gen_encodings.go
