return Rtser.Cli.CliApp.Run(args, Console.Out, Console.Error);
