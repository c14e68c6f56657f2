using System.Globalization;

namespace Rtser.Cli;

/// <summary>Positional arguments and --name value options; small enough not to need a parser library.</summary>
public sealed class CliArgs
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);

    public CliArgs(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var positional = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal) && args[i].Length > 2)
            {
                if (i + 1 >= args.Length)
                {
                    throw new ArgumentException($"option {args[i]} needs a value");
                }

                _options[args[i][2..]] = args[++i];
            }
            else
            {
                positional.Add(args[i]);
            }
        }

        Command = positional.Count > 0 ? positional[0] : null;
        Positional = positional.Skip(1).ToList();
    }

    public string? Command { get; }

    public IReadOnlyList<string> Positional { get; }

    public string? Option(string name) => _options.GetValueOrDefault(name);

    public string Required(string name) =>
        Option(name) ?? throw new ArgumentException($"missing --{name}");

    public int IntOption(string name, int fallback) =>
        Option(name) is { } v
            ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : throw new ArgumentException($"--{name} must be an integer, got '{v}'")
            : fallback;
}
