return Occam.Cli.OccamCli.Run(args);
