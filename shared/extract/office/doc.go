package office

//go:generate go run gen_testdata.go
