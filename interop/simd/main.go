// Command simd is ibc-go v8.8.0's test application, built from the Go module proxy as the
// reference counterparty for Estuary's interop tests. Nothing of ibc-go is vendored here: this
// wrapper only names the version (ibc-go's own go.mod has `replace` lines, so `go install`
// cannot build it directly).
package main

import (
	"fmt"
	"os"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/cosmos/ibc-go/v8/testing/simapp"
	"github.com/cosmos/ibc-go/v8/testing/simapp/simd/cmd"
)

func main() {
	rootCmd := cmd.NewRootCmd()
	if err := svrcmd.Execute(rootCmd, "", simapp.DefaultNodeHome); err != nil {
		fmt.Fprintln(rootCmd.OutOrStderr(), err)
		os.Exit(1)
	}
}
