using Rtser.Perf;

// dotnet benchmarks/Rtser.Perf/bin/Release/net10.0/Rtser.Perf.dll <command> [--option value ...]
//   clips  --dir <wav dir> [--n 100] [--model cnn-rnn-emodb] [--repeat 5]   per-stage times on real clips (peer comparison)
//   ci     [--baseline <json>] [--seconds 6] [--write]                        end-to-end time as a ratio to a fixed computation
//   scale  --seconds <audio seconds> --dir <wav dir> [--model ...]           time and peak memory of the service's analysis
//   live   --url ws://host:port/api/stream --dir <wav dir> [--seconds 300]   reading delay of one real-time stream
//   rate   --url http://host:port/api/predictions --wav <file> [--rate 150] [--seconds 20]   open-loop HTTP load
//   wav    --dir <wav dir> --seconds 3 --out <file>                        16 kHz speech WAV for load tests
//   ramp   --url ... --dir <wav dir> [--streams 10,25,50] [--seconds 20]     simultaneous real-time streams
//   attack --url http://host:port --key-a K --key-b K --wav <file> --dir <wav dir> [--streams 20] [--seconds 300] [--max-wall 30]   issue 20's live and key attacks
var options = Args.Parse(args.Skip(1));
return args.FirstOrDefault() switch
{
    "clips" => ClipsCommand.Run(options),
    "ci" => CiCommand.Run(options),
    "scale" => ScaleCommand.Run(options),
    "live" => await LiveCommand.RunOneAsync(options),
    "ramp" => await LiveCommand.RunRampAsync(options),
    "wav" => WriteWav(options),
    "rate" => await RateCommand.RunAsync(options),
    "attack" => await AttackCommand.RunAsync(options),
    "ffthash" => FftHash(),
    "fftloop" => FftLoop(options),
    _ => Usage(),
};

static int WriteWav(Args a)
{
    File.WriteAllBytes(a.Require("out"), Rtser.Audio.WavWriter.Pcm16(Repo.Speech(a.Require("dir"), a.Number("seconds", 3)), 16000));
    return 0;
}

// ffthash: a digest of RealFft outputs on fixed random frames (sizes 256 and 512, full and zero-padded input): an FFT
// change that must keep outputs bit-identical must keep this digest.
static int FftHash()
{
    var rng = new Random(7);
    using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
    foreach (int size in new[] { 8, 16, 64, 256, 512 })
    {
        var fft = new Rtser.Features.Dsp.RealFft(size);
        var power = new float[(size / 2) + 1];
        var re = new float[(size / 2) + 1];
        var im = new float[(size / 2) + 1];
        for (int i = 0; i < 2000; i++)
        {
            var x = new float[i % 2 == 0 ? size : (size * 3 / 4) + 1];
            for (int j = 0; j < x.Length; j++)
            {
                x[j] = (float)((rng.NextDouble() - 0.5) * 65536);
            }

            fft.PowerSpectrum(x, power);
            fft.Forward(x, re, im);
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(power.AsSpan()));
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(re.AsSpan()));
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(im.AsSpan()));
        }
    }

    Console.WriteLine($"fft digest {Convert.ToHexString(hash.GetHashAndReset())[..16]}");
    return 0;
}

// fftloop: the 512-point power spectrum of a 400-sample frame in a loop (for perf record / annotate).
static int FftLoop(Args a)
{
    var fft = new Rtser.Features.Dsp.RealFft((int)a.Number("size", 512));
    var x = new float[(int)a.Number("input", 400)];
    var power = new float[(fft.Size / 2) + 1];
    new Random(1).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()));
    for (int i = 0; i < x.Length; i++)
    {
        x[i] = float.IsFinite(x[i]) ? x[i] % 1 : 0;
    }

    int n = (int)a.Number("count", 2_000_000);
    var clock = System.Diagnostics.Stopwatch.StartNew();
    for (int i = 0; i < n; i++)
    {
        fft.PowerSpectrum(x, power);
    }

    Console.WriteLine($"{clock.Elapsed.TotalMilliseconds * 1000 / n:F3} us per power spectrum");
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Rtser.Perf clips|ci|scale|live|ramp|rate|wav [--option value ...] (see Program.cs)");
    return 2;
}
