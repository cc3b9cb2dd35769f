// Command simd is a node of ibc-go v11.2.0's test application (Cosmos SDK v0.54, CometBFT
// v0.39, with the packet-forward and rate-limiting middleware wired in), built from the Go module
// proxy as Estuary's second ibc-go counterparty. ibc-go's own simd command lives in a module the
// proxy does not serve (github.com/cosmos/ibc-go/simapp), so this file gives the served
// testing/simapp application the command line the localnet drives: init, genesis accounts and
// gentx, start, keys, status, and the transactions it sends (ICS-20 transfers, signing,
// broadcasting). Nothing of ibc-go is vendored here.
package main

import (
	"errors"
	"os"

	"cosmossdk.io/log/v2"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/config"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/keys"
	"github.com/cosmos/cosmos-sdk/server"
	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"
	serverconfig "github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	authcmd "github.com/cosmos/cosmos-sdk/x/auth/client/cli"
	"github.com/cosmos/cosmos-sdk/x/auth/types"
	genutilcli "github.com/cosmos/cosmos-sdk/x/genutil/client/cli"

	cmtcfg "github.com/cometbft/cometbft/config"

	transfer "github.com/cosmos/ibc-go/v11/modules/apps/transfer"
	"github.com/cosmos/ibc-go/v11/testing/simapp"
)

func main() {
	if err := svrcmd.Execute(rootCommand(), "", simapp.DefaultNodeHome); err != nil {
		log.NewLogger(os.Stderr).Error("simd failed", "err", err)
		os.Exit(1)
	}
}

// scratchHome is a throwaway home for the application built only to read its codecs.
func scratchHome() string {
	dir, err := os.MkdirTemp("", "simd-v11")
	if err != nil {
		return simapp.DefaultNodeHome
	}
	defer os.RemoveAll(dir)
	return dir
}

func rootCommand() *cobra.Command {
	// The codecs and module list come from an instance of the application itself.
	app := simapp.NewSimApp(log.NewNopLogger(), dbm.NewMemDB(), nil, true, simtestutil.NewAppOptionsWithFlagHome(scratchHome()))
	clientCtx := client.Context{}.
		WithCodec(app.AppCodec()).
		WithInterfaceRegistry(app.InterfaceRegistry()).
		WithLegacyAmino(app.LegacyAmino()).
		WithTxConfig(app.TxConfig()).
		WithInput(os.Stdin).
		WithAccountRetriever(types.AccountRetriever{}).
		WithHomeDir(simapp.DefaultNodeHome).
		WithViper("")

	root := &cobra.Command{
		Use:           "simd",
		Short:         "ibc-go v11 simapp node (Estuary's interop counterparty)",
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(cmd.OutOrStdout())
			cmd.SetErr(cmd.ErrOrStderr())
			ctx, err := client.ReadPersistentCommandFlags(clientCtx.WithCmdContext(cmd.Context()), cmd.Flags())
			if err != nil {
				return err
			}
			if ctx, err = config.ReadFromClientConfig(ctx); err != nil {
				return err
			}
			if err := client.SetCmdClientContextHandler(ctx, cmd); err != nil {
				return err
			}
			appConfig := serverconfig.DefaultConfig()
			appConfig.MinGasPrices = "0stake"
			return server.InterceptConfigsPreRunHandler(cmd, serverconfig.DefaultConfigTemplate, appConfig, cmtcfg.DefaultConfig())
		},
	}

	root.AddCommand(
		genutilcli.InitCmd(app.BasicModuleManager, simapp.DefaultNodeHome),
		genutilcli.Commands(app.TxConfig(), app.BasicModuleManager, simapp.DefaultNodeHome),
		keys.Commands(),
		server.StatusCommand(),
		transactions(),
	)
	server.AddCommands(root, simapp.DefaultNodeHome, newApp, exportUnsupported, func(*cobra.Command) {})
	return root
}

// transactions: what the localnet and the interop tests send from simd.
func transactions() *cobra.Command {
	cmd := &cobra.Command{Use: "tx", Short: "Transactions", RunE: client.ValidateCmd}
	cmd.AddCommand(
		transfer.AppModuleBasic{}.GetTxCmd(),
		authcmd.GetSignCommand(),
		authcmd.GetBroadcastCommand(),
		authcmd.GetEncodeCommand(),
		authcmd.GetDecodeCommand(),
	)
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func newApp(logger log.Logger, db dbm.DB, appOpts servertypes.AppOptions) servertypes.Application {
	return simapp.NewSimApp(logger, db, nil, true, appOpts, server.DefaultBaseappOptions(appOpts)...)
}

// exportUnsupported: testing/simapp has no state export, and no test exports simd's state.
func exportUnsupported(log.Logger, dbm.DB, int64, bool, []string, servertypes.AppOptions, []string) (servertypes.ExportedApp, error) {
	return servertypes.ExportedApp{}, errors.New("this simd cannot export its state")
}
