package catalog

import (
	"strings"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// MaxNamespaceLength is the longest "db.collection" mongod accepts.
const MaxNamespaceLength = 255

// ValidateDB checks a database name against mongod's rules.
func ValidateDB(db string) error {
	if db == "" || len(db) >= 64 || strings.ContainsAny(db, "/\\. \"$\x00") {
		return mongoerr.Newf(mongoerr.InvalidNamespace, "Invalid database name: '%s'", db)
	}
	return nil
}

// ValidateCollection checks a namespace's database and collection names.
func ValidateCollection(db, coll string) error {
	if err := ValidateDB(db); err != nil {
		return err
	}
	ns := db + "." + coll
	if coll == "" || strings.Contains(coll, "\x00") || strings.HasPrefix(coll, ".") ||
		(strings.Contains(coll, "$") && coll != "oplog.$main") {
		return mongoerr.Newf(mongoerr.InvalidNamespace, "Invalid namespace specified '%s'", ns)
	}
	if len(ns) > MaxNamespaceLength {
		return mongoerr.Newf(mongoerr.InvalidNamespace, "Fully qualified namespace is too long. Namespace: %s Max: %d", ns, MaxNamespaceLength)
	}
	return nil
}
