// Package mongoerr defines the one error type clients of SecantusDB ever see:
// a MongoDB error code with its codeName, a message, and optional error labels.
//
// Handlers never write raw numbers: they use the Code constants here, whose
// names and values follow MongoDB's error_codes.yml.
package mongoerr

// Code is a MongoDB server error code.
type Code int32

// Error codes, as mongod numbers and names them.
const (
	Location28818                            Code = 28818
	Location15981                            Code = 15981
	Location28811                            Code = 28811
	Location15955                            Code = 15955
	Location40238                            Code = 40238
	Location40234                            Code = 40234
	Location15947                            Code = 15947
	Location40324                            Code = 40324
	Location40156                            Code = 40156
	Location51272                            Code = 51272
	Location15969                            Code = 15969
	Location15958                            Code = 15958
	Location15973                            Code = 15973
	Location15959                            Code = 15959
	ClientMetadataCannotBeMutated            Code = 186
	Location15974                            Code = 15974
	ChecksumMismatch                         Code = 288
	UnsupportedOpQueryCommand                Code = 352
	CursorInUse                              Code = 143
	UnknownReplWriteConcern                  Code = 79
	DatabaseDifferCase                       Code = 13297
	InternalError                            Code = 1
	BadValue                                 Code = 2
	NoSuchKey                                Code = 4
	GraphContainsCycle                       Code = 5
	UnknownError                             Code = 8
	FailedToParse                            Code = 9
	UserNotFound                             Code = 11
	Unauthorized                             Code = 13
	TypeMismatch                             Code = 14
	Overflow                                 Code = 15
	InvalidLength                            Code = 16
	ProtocolError                            Code = 17
	AuthenticationFailed                     Code = 18
	IllegalOperation                         Code = 20
	EmptyArrayOperation                      Code = 21
	InvalidBSON                              Code = 22
	NamespaceNotFound                        Code = 26
	IndexNotFound                            Code = 27
	PathNotViable                            Code = 28
	NonExistentPath                          Code = 29
	InvalidPath                              Code = 30
	RoleNotFound                             Code = 31
	ConflictingUpdateOperators               Code = 40
	CursorNotFound                           Code = 43
	NamespaceExists                          Code = 48
	MaxTimeMSExpired                         Code = 50
	DollarPrefixedFieldName                  Code = 52
	InvalidIdField                           Code = 53
	NotSingleValueField                      Code = 54
	NotExactValueField                       Code = 111
	EmptyFieldName                           Code = 56
	DottedFieldName                          Code = 57
	CommandNotFound                          Code = 59
	ImmutableField                           Code = 66
	CannotCreateIndex                        Code = 67
	IndexAlreadyExists                       Code = 68
	InvalidOptions                           Code = 72
	InvalidNamespace                         Code = 73
	NoReplicationEnabled                     Code = 76
	IndexOptionsConflict                     Code = 85
	IndexKeySpecsConflict                    Code = 86
	ShutdownInProgress                       Code = 91
	OperationFailed                          Code = 96
	WriteConflict                            Code = 112
	CommandNotSupported                      Code = 115
	ConflictingOperationInProgress           Code = 117
	DocumentValidationFailure                Code = 121
	CommandFailed                            Code = 125
	CappedPositionLost                       Code = 136
	ExceededMemoryLimit                      Code = 146
	CommandNotSupportedOnView                Code = 166
	OptionNotSupportedOnView                 Code = 167
	CannotIndexParallelArrays                Code = 171
	InvalidViewDefinition                    Code = 182
	InvalidIndexSpecificationOption          Code = 197
	InvalidUUID                              Code = 207
	CannotImplicitlyCreateCollection         Code = 227
	CursorKilled                             Code = 237
	NotImplemented                           Code = 238
	NoSuchTransaction                        Code = 251
	OperationNotSupportedInTransaction       Code = 263
	QueryExceededMemoryLimitNoDiskUseAllowed Code = 292
	ObjectIsBusy                             Code = 314
	APIVersionError                          Code = 322
	APIStrictError                           Code = 323
	APIDeprecationError                      Code = 324
	BSONObjectTooLarge                       Code = 10334
	DuplicateKey                             Code = 11000
	InterruptedAtShutdown                    Code = 11600
	Interrupted                              Code = 11601
	NotWritablePrimary                       Code = 10107
	NotPrimaryNoSecondaryOk                  Code = 13435
	UnrecognizedCommandField                 Code = 40415
	Location40414                            Code = 40414
	Location51198                            Code = 51198
	Location16436                            Code = 16436
	Location10065                            Code = 10065
	IllegalOpMsgFlag                         Code = 223
	TooManyDocumentSequences                 Code = 233
	Location40430                            Code = 40430
	Location40431                            Code = 40431
	Location40432                            Code = 40432
	Location40433                            Code = 40433
	Location40587                            Code = 40587
	FailPointSetFailed                       Code = 266
	ClientMetadataMissingField               Code = 183
	ClientMetadataAppNameTooLarge            Code = 184
	ClientMetadataDocumentTooLarge           Code = 185
	Location15975                            Code = 15975
	Location31249                            Code = 31249
	Location31250                            Code = 31250
	Location31253                            Code = 31253
	Location31254                            Code = 31254
	Location40352                            Code = 40352
	Location51074                            Code = 51074
	Location51075                            Code = 51075
	Location51091                            Code = 51091
	QueryFeatureNotAllowed                   Code = 224
	Location31252                            Code = 31252
	Location31308                            Code = 31308
	InvalidPipelineOperator                  Code = 168
	Location10071                            Code = 10071
	Location1257300                          Code = 1257300
	Location15983                            Code = 15983
	Location15998                            Code = 15998
	Location16004                            Code = 16004
	Location16020                            Code = 16020
	Location16406                            Code = 16406
	Location16410                            Code = 16410
	Location16411                            Code = 16411
	Location16412                            Code = 16412
	Location16554                            Code = 16554
	Location16555                            Code = 16555
	Location16609                            Code = 16609
	Location16610                            Code = 16610
	Location16611                            Code = 16611
	Location16612                            Code = 16612
	Location16866                            Code = 16866
	Location16867                            Code = 16867
	Location16868                            Code = 16868
	Location16872                            Code = 16872
	Location16874                            Code = 16874
	Location16875                            Code = 16875
	Location16876                            Code = 16876
	Location16877                            Code = 16877
	Location17080                            Code = 17080
	Location17081                            Code = 17081
	Location17082                            Code = 17082
	Location17083                            Code = 17083
	Location17276                            Code = 17276
	Location28667                            Code = 28667
	Location28680                            Code = 28680
	Location28714                            Code = 28714
	Location28756                            Code = 28756
	Location28757                            Code = 28757
	Location28758                            Code = 28758
	Location28759                            Code = 28759
	Location28761                            Code = 28761
	Location28762                            Code = 28762
	Location28763                            Code = 28763
	Location28764                            Code = 28764
	Location28765                            Code = 28765
	Location28766                            Code = 28766
	Location40060                            Code = 40060
	Location40061                            Code = 40061
	Location40062                            Code = 40062
	Location40063                            Code = 40063
	Location40064                            Code = 40064
	Location40065                            Code = 40065
	Location40066                            Code = 40066
	Location40067                            Code = 40067
	Location40068                            Code = 40068
	Location40353                            Code = 40353
	Location51080                            Code = 51080
	Location51081                            Code = 51081
	Location51082                            Code = 51082
	Location51083                            Code = 51083
)

var codeNames = map[Code]string{
	Location28818:                            "Location28818",
	Location15981:                            "Location15981",
	Location28811:                            "Location28811",
	Location15955:                            "Location15955",
	Location40238:                            "Location40238",
	Location40234:                            "Location40234",
	Location15947:                            "Location15947",
	Location40324:                            "Location40324",
	Location40156:                            "Location40156",
	Location51272:                            "Location51272",
	Location15969:                            "Location15969",
	Location15958:                            "Location15958",
	Location15973:                            "Location15973",
	Location15959:                            "Location15959",
	ClientMetadataCannotBeMutated:            "ClientMetadataCannotBeMutated",
	Location15974:                            "Location15974",
	ChecksumMismatch:                         "ChecksumMismatch",
	UnsupportedOpQueryCommand:                "UnsupportedOpQueryCommand",
	CursorInUse:                              "CursorInUse",
	UnknownReplWriteConcern:                  "UnknownReplWriteConcern",
	DatabaseDifferCase:                       "DatabaseDifferCase",
	InternalError:                            "InternalError",
	BadValue:                                 "BadValue",
	NoSuchKey:                                "NoSuchKey",
	GraphContainsCycle:                       "GraphContainsCycle",
	UnknownError:                             "UnknownError",
	FailedToParse:                            "FailedToParse",
	UserNotFound:                             "UserNotFound",
	Unauthorized:                             "Unauthorized",
	TypeMismatch:                             "TypeMismatch",
	Overflow:                                 "Overflow",
	InvalidLength:                            "InvalidLength",
	ProtocolError:                            "ProtocolError",
	AuthenticationFailed:                     "AuthenticationFailed",
	IllegalOperation:                         "IllegalOperation",
	EmptyArrayOperation:                      "EmptyArrayOperation",
	InvalidBSON:                              "InvalidBSON",
	NamespaceNotFound:                        "NamespaceNotFound",
	IndexNotFound:                            "IndexNotFound",
	PathNotViable:                            "PathNotViable",
	NonExistentPath:                          "NonExistentPath",
	InvalidPath:                              "InvalidPath",
	RoleNotFound:                             "RoleNotFound",
	ConflictingUpdateOperators:               "ConflictingUpdateOperators",
	CursorNotFound:                           "CursorNotFound",
	NamespaceExists:                          "NamespaceExists",
	MaxTimeMSExpired:                         "MaxTimeMSExpired",
	DollarPrefixedFieldName:                  "DollarPrefixedFieldName",
	InvalidIdField:                           "InvalidIdField",
	NotSingleValueField:                      "NotSingleValueField",
	NotExactValueField:                       "NotExactValueField",
	EmptyFieldName:                           "EmptyFieldName",
	DottedFieldName:                          "DottedFieldName",
	CommandNotFound:                          "CommandNotFound",
	ImmutableField:                           "ImmutableField",
	CannotCreateIndex:                        "CannotCreateIndex",
	IndexAlreadyExists:                       "IndexAlreadyExists",
	InvalidOptions:                           "InvalidOptions",
	InvalidNamespace:                         "InvalidNamespace",
	NoReplicationEnabled:                     "NoReplicationEnabled",
	IndexOptionsConflict:                     "IndexOptionsConflict",
	IndexKeySpecsConflict:                    "IndexKeySpecsConflict",
	ShutdownInProgress:                       "ShutdownInProgress",
	OperationFailed:                          "OperationFailed",
	WriteConflict:                            "WriteConflict",
	CommandNotSupported:                      "CommandNotSupported",
	ConflictingOperationInProgress:           "ConflictingOperationInProgress",
	DocumentValidationFailure:                "DocumentValidationFailure",
	CommandFailed:                            "CommandFailed",
	CappedPositionLost:                       "CappedPositionLost",
	ExceededMemoryLimit:                      "ExceededMemoryLimit",
	CommandNotSupportedOnView:                "CommandNotSupportedOnView",
	OptionNotSupportedOnView:                 "OptionNotSupportedOnView",
	CannotIndexParallelArrays:                "CannotIndexParallelArrays",
	InvalidViewDefinition:                    "InvalidViewDefinition",
	InvalidIndexSpecificationOption:          "InvalidIndexSpecificationOption",
	InvalidUUID:                              "InvalidUUID",
	CannotImplicitlyCreateCollection:         "CannotImplicitlyCreateCollection",
	CursorKilled:                             "CursorKilled",
	NotImplemented:                           "NotImplemented",
	NoSuchTransaction:                        "NoSuchTransaction",
	OperationNotSupportedInTransaction:       "OperationNotSupportedInTransaction",
	QueryExceededMemoryLimitNoDiskUseAllowed: "QueryExceededMemoryLimitNoDiskUseAllowed",
	ObjectIsBusy:                             "ObjectIsBusy",
	APIVersionError:                          "APIVersionError",
	APIStrictError:                           "APIStrictError",
	APIDeprecationError:                      "APIDeprecationError",
	BSONObjectTooLarge:                       "BSONObjectTooLarge",
	DuplicateKey:                             "DuplicateKey",
	InterruptedAtShutdown:                    "InterruptedAtShutdown",
	Interrupted:                              "Interrupted",
	NotWritablePrimary:                       "NotWritablePrimary",
	NotPrimaryNoSecondaryOk:                  "NotPrimaryNoSecondaryOk",
	UnrecognizedCommandField:                 "UnrecognizedCommandField",
	Location40414:                            "Location40414",
	Location51198:                            "Location51198",
	Location16436:                            "Location16436",
	Location10065:                            "Location10065",
	IllegalOpMsgFlag:                         "IllegalOpMsgFlag",
	TooManyDocumentSequences:                 "TooManyDocumentSequences",
	Location40430:                            "Location40430",
	Location40431:                            "Location40431",
	Location40432:                            "Location40432",
	Location40433:                            "Location40433",
	Location40587:                            "Location40587",
	FailPointSetFailed:                       "FailPointSetFailed",
	ClientMetadataMissingField:               "ClientMetadataMissingField",
	ClientMetadataAppNameTooLarge:            "ClientMetadataAppNameTooLarge",
	ClientMetadataDocumentTooLarge:           "ClientMetadataDocumentTooLarge",
	Location15975:                            "Location15975",
	Location31249:                            "Location31249",
	Location31250:                            "Location31250",
	Location31253:                            "Location31253",
	Location31254:                            "Location31254",
	Location40352:                            "Location40352",
	Location51074:                            "Location51074",
	Location51075:                            "Location51075",
	Location51091:                            "Location51091",
	QueryFeatureNotAllowed:                   "QueryFeatureNotAllowed",
	Location31252:                            "Location31252",
	Location31308:                            "Location31308",
	InvalidPipelineOperator:                  "InvalidPipelineOperator",
	Location10071:                            "Location10071",
	Location1257300:                          "Location1257300",
	Location15983:                            "Location15983",
	Location15998:                            "Location15998",
	Location16004:                            "Location16004",
	Location16020:                            "Location16020",
	Location16406:                            "Location16406",
	Location16410:                            "Location16410",
	Location16411:                            "Location16411",
	Location16412:                            "Location16412",
	Location16554:                            "Location16554",
	Location16555:                            "Location16555",
	Location16609:                            "Location16609",
	Location16610:                            "Location16610",
	Location16611:                            "Location16611",
	Location16612:                            "Location16612",
	Location16866:                            "Location16866",
	Location16867:                            "Location16867",
	Location16868:                            "Location16868",
	Location16872:                            "Location16872",
	Location16874:                            "Location16874",
	Location16875:                            "Location16875",
	Location16876:                            "Location16876",
	Location16877:                            "Location16877",
	Location17080:                            "Location17080",
	Location17081:                            "Location17081",
	Location17082:                            "Location17082",
	Location17083:                            "Location17083",
	Location17276:                            "Location17276",
	Location28667:                            "Location28667",
	Location28680:                            "Location28680",
	Location28714:                            "Location28714",
	Location28756:                            "Location28756",
	Location28757:                            "Location28757",
	Location28758:                            "Location28758",
	Location28759:                            "Location28759",
	Location28761:                            "Location28761",
	Location28762:                            "Location28762",
	Location28763:                            "Location28763",
	Location28764:                            "Location28764",
	Location28765:                            "Location28765",
	Location28766:                            "Location28766",
	Location40060:                            "Location40060",
	Location40061:                            "Location40061",
	Location40062:                            "Location40062",
	Location40063:                            "Location40063",
	Location40064:                            "Location40064",
	Location40065:                            "Location40065",
	Location40066:                            "Location40066",
	Location40067:                            "Location40067",
	Location40068:                            "Location40068",
	Location40353:                            "Location40353",
	Location51080:                            "Location51080",
	Location51081:                            "Location51081",
	Location51082:                            "Location51082",
	Location51083:                            "Location51083",
}

// Codes of find, getMore, count and distinct (numbered assertions: their
// codeName is "Location<N>").
const (
	// Location17217 is distinct's "distinct too big, 16mb cap" while
	// collecting values.
	Location17217 Code = 17217
	// Location31299 is distinct's final reply-size check.
	Location31299 Code = 31299
	// Location51024 is an IDL "value must be >= 0" validation failure.
	Location51024 Code = 51024
	// Location51173 is find's min/max without a hint.
	Location51173 Code = 51173
)

// Codes of collation parsing (internal/collation).
const (
	// IncompatibleCollationVersion is a collation document whose version
	// is not the collator version this server has.
	IncompatibleCollationVersion Code = 161
	// Location40413 is an IDL "is a duplicate field" error.
	Location40413 Code = 40413
)

func init() { codeNames[IncompatibleCollationVersion] = "IncompatibleCollationVersion" }
