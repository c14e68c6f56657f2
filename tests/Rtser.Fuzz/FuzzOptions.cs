using System.Globalization;

namespace Rtser.Fuzz;

internal sealed record FuzzOptions(int Inputs, int Seed, int HttpEvery, string Findings, TimeSpan Bound)
{
    public static FuzzOptions Parse(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        int Int(string name, int fallback) => Value(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new FuzzOptions(
            Int("--inputs", 10_000),
            Int("--seed", 1),
            Int("--http-every", 25),
            Value("--findings") ?? Path.Combine(Path.GetTempPath(), "rtser-fuzz-findings"),
            TimeSpan.FromSeconds(Int("--bound-seconds", 20)));
    }
}
