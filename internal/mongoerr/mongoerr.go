package mongoerr

import (
	"errors"
	"fmt"
)

// Name returns the codeName mongod reports for c: its name, or
// "Location<N>" for the numbered assertion codes that have none.
func (c Code) Name() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	if c == 0 {
		return ""
	}
	return fmt.Sprintf("Location%d", int(c))
}

// Error is an error a client sees: {ok: 0, errmsg, code, codeName, errorLabels}.
// Extra holds additional reply fields some errors carry (for example
// keyPattern/keyValue for duplicate keys); it is a list of alternating
// field names and values appended to the reply in order.
type Error struct {
	Code    Code
	Message string
	Labels  []string
	Extra   []Field
}

// Field is one extra field of an error reply.
type Field struct {
	Key   string
	Value any
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("(%s) %s", e.Code.Name(), e.Message)
}

// New returns an error with the given code and message.
func New(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Newf returns an error with the given code and a formatted message.
func Newf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithLabels returns e with the error labels added.
func (e *Error) WithLabels(labels ...string) *Error {
	e.Labels = append(e.Labels, labels...)
	return e
}

// As returns err as an *Error; any other error becomes InternalError with
// err's text, so that the edge of the server always has a code to send.
func As(err error) *Error {
	if err == nil {
		return nil
	}
	var me *Error
	if errors.As(err, &me) {
		return me
	}
	return &Error{Code: InternalError, Message: err.Error()}
}

// Is reports whether err is a MongoDB error with the given code.
func Is(err error, code Code) bool {
	var me *Error
	return errors.As(err, &me) && me.Code == code
}
