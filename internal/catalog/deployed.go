package catalog

import (
	"fmt"
	"time"
)

// The deployed path (make catalog-import STAGE=…): cmd/catalog-import uploads the
// file under ImportPrefix of the stage's import bucket, then invokes the import
// function (lambdas/catalogimport) with an ImportRequest, which answers an
// ImportAnswer. Both sides and the infrastructure share these.

// ImportPrefix is where in the import bucket files are uploaded: the function may
// read nothing else.
const ImportPrefix = "imports/"

// ImportTimeout is the import function's timeout, Lambda's most: a load of 100,000
// rows takes seconds, so this leaves room for catalogs hundreds of times larger.
// A caller waiting for the answer waits longer than this.
const ImportTimeout = 15 * time.Minute

// ImportRequest asks the import function to load one uploaded file.
type ImportRequest struct {
	// Key is the file's object key, under ImportPrefix.
	Key string `json:"key"`
}

// ImportAnswer is what the import function did with a file. A file with bad rows
// is an answer (Problems), not an error of the function: nothing was loaded.
type ImportAnswer struct {
	// Rows, Added, Changed and Unchanged are the load's counts (Result).
	Rows      int `json:"rows"`
	Added     int `json:"added"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	// Problems are the file's bad rows; with any, nothing was loaded.
	Problems Problems `json:"problems,omitempty"`
	// Running says another import was running: nothing was loaded.
	Running bool `json:"running,omitempty"`
	// Dropped is how many changed products' cache entries were dropped.
	Dropped int `json:"dropped"`
	// CacheError says why the cache could not be told: the load stands, and
	// the cached entries expire within the cache's TTL.
	CacheError string `json:"cacheError,omitempty"`
}

// Summary is the answer's one line, as the local path prints it:
// "3 products: 1 added, 1 changed, 1 unchanged".
func (a ImportAnswer) Summary() string {
	return fmt.Sprintf("%d products: %d added, %d changed, %d unchanged", a.Rows, a.Added, a.Changed, a.Unchanged)
}
