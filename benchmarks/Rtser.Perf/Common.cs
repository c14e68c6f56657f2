using System.Globalization;
using Rtser.Audio;

namespace Rtser.Perf;

internal sealed class Args(Dictionary<string, string> values)
{
    public static Args Parse(IEnumerable<string> args)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        string? key = null;
        foreach (string a in args)
        {
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                key = a[2..];
                d[key] = "true";
            }
            else if (key is not null)
            {
                d[key] = a;
                key = null;
            }
        }

        return new Args(d);
    }

    public string Get(string name, string fallback) => values.TryGetValue(name, out string? v) ? v : fallback;

    public string Require(string name) =>
        values.TryGetValue(name, out string? v) ? v : throw new ArgumentException($"--{name} is required");

    public double Number(string name, double fallback) =>
        values.TryGetValue(name, out string? v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public bool Flag(string name) => values.ContainsKey(name);
}

internal static class Repo
{
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RTSER.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Run from a build inside the repository.");
    }

    public static string Models => Path.Combine(Root(), "models");

    /// <summary>The first <paramref name="n"/> WAV files of a folder in ordinal name order (the Python peer sorts the same way).</summary>
    public static string[] Wavs(string dir, int n) =>
        [.. Directory.GetFiles(dir, "*.wav").Order(StringComparer.Ordinal).Take(n)];

    /// <summary>16 kHz clips of a folder joined until <paramref name="seconds"/> of audio (speech throughout, no silence between).</summary>
    public static float[] Speech(string dir, double seconds)
    {
        var decoder = new WavDecoder();
        var result = new float[(int)Math.Round(seconds * 16000)];
        int at = 0;
        string[] files = Wavs(dir, int.MaxValue);
        for (int i = 0; at < result.Length; i++)
        {
            float[] s = decoder.Decode16kFile(files[i % files.Length]);
            int take = Math.Min(s.Length, result.Length - at);
            s.AsSpan(0, take).CopyTo(result.AsSpan(at));
            at += take;
        }

        return result;
    }
}

internal static class Stats
{
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        double[] s = [.. values.Order()];
        double rank = p / 100.0 * (s.Length - 1);
        int lo = (int)Math.Floor(rank);
        int hi = Math.Min(lo + 1, s.Length - 1);
        return s[lo] + ((s[hi] - s[lo]) * (rank - lo));
    }

    public static double Median(IReadOnlyList<double> values) => Percentile(values, 50);

    public static string F(double v, int digits = 2) => v.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}

internal static class Memory
{
    /// <summary>A field of /proc/self/status in MiB (VmRSS, VmHWM).</summary>
    public static double StatusMiB(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                string kb = line[(field.Length + 1)..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) / 1024.0;
            }
        }

        return double.NaN;
    }

    /// <summary>Resets VmHWM to the current RSS (Linux: "5" to clear_refs), so a peak can be measured from here.</summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
