package multipart

import (
	"errors"
	"fmt"
	"net/http"
)

// Status maps an error of the protocol to the HTTP status and message both servers answer
// (evx serve and the api function on AWS), for the upload id; ok is false for an error that is
// not the protocol's (the server's own failure, answered as such).
func Status(id string, err error) (status int, msg string, ok bool) {
	var (
		sum   *ChecksumError
		size  *PartSizeError
		limit *LimitError
		inc   *IncompleteError
		inv   *InvalidError
	)
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, "no upload " + id + " of yours: it was completed, aborted or expired; create another with POST /v1/uploads", true
	case errors.As(err, &sum):
		return http.StatusUnprocessableEntity, sum.Error(), true
	case errors.As(err, &size):
		return http.StatusBadRequest, size.Error(), true
	case errors.As(err, &limit) && limit.Field == "parts asked at once":
		return http.StatusBadRequest, limit.Error(), true
	case errors.As(err, &limit) && limit.Field == "open uploads":
		return http.StatusTooManyRequests, fmt.Sprintf("you have %d uploads open, the most this server keeps: complete or abort one (DELETE /v1/uploads/{id})", limit.Limit), true
	case errors.As(err, &limit):
		return http.StatusRequestEntityTooLarge, limit.Error(), true
	case errors.As(err, &inc):
		return http.StatusConflict, inc.Error(), true
	case errors.As(err, &inv):
		return http.StatusBadRequest, inv.Error(), true
	}
	return 0, "", false
}
