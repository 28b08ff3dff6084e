package pipeline

import (
	"os"
	"strings"
	"testing"

	"github.com/secantusdb/secantus/internal/expr"
)

// The catalog of MongoDB 8.0's aggregation stages and expression
// operators as the manual lists them (Aggregation Stages; Expression
// Operators, with the accumulators and window operators of $group and
// $setWindowFields), checked against what SecantusDB registers and
// against docs/compatibility.md, which must have one row per name.

var mongod80Stages = strings.Fields(`$addFields $bucket $bucketAuto $changeStream
	$changeStreamSplitLargeEvent $collStats $count $currentOp $densify $documents $facet $fill
	$geoNear $graphLookup $group $indexStats $limit $listLocalSessions $listSampledQueries
	$listSearchIndexes $listSessions $lookup $match $merge $out $planCacheStats $project
	$querySettings $redact $replaceRoot $replaceWith $sample $search $searchMeta $set
	$setWindowFields $shardedDataDistribution $skip $sort $sortByCount $unionWith $unset $unwind
	$vectorSearch`)

var mongod80ExprOperators = strings.Fields(`$abs $add $ceil $divide $exp $floor $ln $log $log10
	$mod $multiply $pow $round $sqrt $subtract $trunc
	$arrayElemAt $arrayToObject $concatArrays $filter $first $firstN $in $indexOfArray $isArray
	$last $lastN $map $maxN $minN $objectToArray $range $reduce $reverseArray $size $slice
	$sortArray $zip
	$bitAnd $bitNot $bitOr $bitXor
	$and $not $or
	$cmp $eq $gt $gte $lt $lte $ne
	$cond $ifNull $switch
	$function
	$binarySize $bsonSize
	$dateAdd $dateDiff $dateFromParts $dateFromString $dateSubtract $dateToParts $dateToString
	$dateTrunc $dayOfMonth $dayOfWeek $dayOfYear $hour $isoDayOfWeek $isoWeek $isoWeekYear
	$millisecond $minute $month $second $toDate $week $year
	$literal
	$getField $rand $toHashedIndexKey
	$mergeObjects $setField $unsetField
	$allElementsTrue $anyElementTrue $setDifference $setEquals $setIntersection $setIsSubset
	$setUnion
	$concat $indexOfBytes $indexOfCP $ltrim $regexFind $regexFindAll $regexMatch $replaceOne
	$replaceAll $rtrim $split $strLenBytes $strLenCP $strcasecmp $substr $substrBytes $substrCP
	$toLower $toString $trim $toUpper
	$meta
	$tsIncrement $tsSecond
	$sin $cos $tan $asin $acos $atan $atan2 $asinh $acosh $atanh $sinh $cosh $tanh
	$degreesToRadians $radiansToDegrees
	$convert $isNumber $toBool $toDecimal $toDouble $toInt $toLong $toObjectId $type $toUUID
	$avg $max $min $median $percentile $stdDevPop $stdDevSamp $sum
	$let`)

var mongod80Accumulators = strings.Fields(`$accumulator $addToSet $avg $bottom $bottomN $count
	$first $firstN $last $lastN $max $maxN $median $mergeObjects $min $minN $percentile $push
	$stdDevPop $stdDevSamp $sum $top $topN`)

var mongod80WindowOnly = strings.Fields(`$covariancePop $covarianceSamp $denseRank $derivative
	$documentNumber $expMovingAvg $integral $linearFill $locf $rank $shift`)

func TestCatalogCoverage(t *testing.T) {
	n := 0
	var missing []string
	for _, op := range mongod80ExprOperators {
		if expr.IsOperator(op) {
			n++
		} else {
			missing = append(missing, op)
		}
	}
	pct := 100 * float64(n) / float64(len(mongod80ExprOperators))
	t.Logf("expression operators: %d of %d (%.1f%%); missing %v", n, len(mongod80ExprOperators), pct, missing)
	if pct < 95 {
		t.Errorf("expression operator coverage %.1f%% is under 95%%", pct)
	}
	var accMissing []string
	for _, op := range mongod80Accumulators {
		if !expr.IsAccumulator(op) {
			accMissing = append(accMissing, op)
		}
	}
	t.Logf("accumulators missing: %v", accMissing)
	for _, st := range mongod80Stages {
		_, registered := stages[st]
		_, refused := knownElsewhere[st]
		if !registered && !refused {
			t.Errorf("stage %s is neither registered nor refused", st)
		}
	}
}

// TestCompatibilityDocRows checks that docs/compatibility.md has a row
// for every stage and operator of the catalog.
func TestCompatibilityDocRows(t *testing.T) {
	data, err := os.ReadFile("../../docs/compatibility.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	var all []string
	all = append(all, mongod80Stages...)
	all = append(all, mongod80ExprOperators...)
	all = append(all, mongod80Accumulators...)
	all = append(all, mongod80WindowOnly...)
	for _, name := range all {
		if !strings.Contains(doc, "| `"+name+"` |") {
			t.Errorf("docs/compatibility.md has no row for %s", name)
		}
	}
}
