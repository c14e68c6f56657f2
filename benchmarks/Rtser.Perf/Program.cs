using Rtser.Perf;

// dotnet benchmarks/Rtser.Perf/bin/Release/net10.0/Rtser.Perf.dll <command> [--option value ...]
//   clips  --dir <wav dir> [--n 100] [--model cnn-rnn-emodb] [--repeat 5]   per-stage times on real clips (peer comparison)
//   ci     [--baseline <json>] [--seconds 6] [--write]                        end-to-end time as a ratio to a fixed computation
//   scale  --seconds <audio seconds> --dir <wav dir> [--model ...]           time and peak memory of the service's analysis
//   live   --url ws://host:port/api/stream --dir <wav dir> [--seconds 300]   reading delay of one real-time stream
//   wav    --dir <wav dir> --seconds 3 --out <file>                        16 kHz speech WAV for load tests
//   ramp   --url ... --dir <wav dir> [--streams 10,25,50] [--seconds 20]     simultaneous real-time streams
var options = Args.Parse(args.Skip(1));
return args.FirstOrDefault() switch
{
    "clips" => ClipsCommand.Run(options),
    "ci" => CiCommand.Run(options),
    "scale" => ScaleCommand.Run(options),
    "live" => await LiveCommand.RunOneAsync(options),
    "ramp" => await LiveCommand.RunRampAsync(options),
    "wav" => WriteWav(options),
    _ => Usage(),
};

static int WriteWav(Args a)
{
    File.WriteAllBytes(a.Require("out"), Rtser.Audio.WavWriter.Pcm16(Repo.Speech(a.Require("dir"), a.Number("seconds", 3)), 16000));
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Rtser.Perf clips|ci|scale|live|ramp|wav [--option value ...] (see Program.cs)");
    return 2;
}
