using System.Globalization;

namespace Rtser.Api.Tests;

/// <summary>Reads a sample from Prometheus' text format by name and labels, whatever else the exporter adds to its line.</summary>
internal static class Scrape
{
    /// <summary>The value of the one sample of <paramref name="name"/> that carries every label given (as name="value"), or null.</summary>
    public static double? Value(string metrics, string name, params string[] labels)
    {
        string[] matches = [.. metrics.Split('\n').Where(l => Name(l) == name && labels.All(label => Labels(l).Contains(label)))];
        Assert.True(matches.Length <= 1, $"{name} {string.Join(",", labels)} matches {matches.Length} samples: {string.Join("\n", matches)}");
        return matches.Length == 0 ? null : double.Parse(matches[0][(matches[0].LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    private static string Name(string line) => line.StartsWith('#') ? "" : line[..Math.Max(0, line.IndexOfAny(['{', ' ']))];

    private static string[] Labels(string line) =>
        line.IndexOf('{', StringComparison.Ordinal) is int open and >= 0 && line.LastIndexOf('}') is int close and > 0
            ? line[(open + 1)..close].Split(',')
            : [];
}
