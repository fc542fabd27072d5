// etcd's own main package lives in a module whose replace directives `go install` refuses,
// so this is the same one line it runs: the etcd server's entry point.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
