package pipeline

// pending names the stages still being written: until a family's file
// registers them they are refused with NotImplemented (or, in an update,
// InvalidOptions as mongod refuses them there).
var pending = map[string]bool{"$bucket": true, "$bucketAuto": true}
