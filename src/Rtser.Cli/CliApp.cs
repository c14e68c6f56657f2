using System.CommandLine;
using System.Globalization;
using Rtser.Audio;
using Rtser.Cli.Commands;

namespace Rtser.Cli;

/// <summary>Command dispatch; commands write to the given writers so tests run them in-process.</summary>
public static class CliApp
{
    /// <summary>The line under a refused command line; the full usage is one --help away.</summary>
    public const string Usage = "usage: rtser <features|export|predict|evaluate> [options]; 'rtser <command> --help' lists a command's options";

    public static RootCommand Commands() =>
        new("rtser: speech emotion recognition from the command line (features, training exports, predictions, held-out evaluation)")
        {
            FeaturesCommand.Create(),
            ExportCommand.Create(),
            PredictCommand.Create(),
            EvaluateCommand.Create(),
        };

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ParseResult parsed = Commands().Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // Exit code 2 for a command line the program cannot run, as getopt-style tools do; 1 stays for a run that failed.
            foreach (var error in parsed.Errors)
            {
                stderr.WriteLine($"error: {error.Message}");
            }

            stderr.WriteLine(Usage);
            return 2;
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is ArgumentException or AudioFormatException or IOException or FormatException or UnauthorizedAccessException)
        {
            // Expected user errors get one clear line, not a stack trace.
            stderr.WriteLine($"error: {Describe(e)}");
            return 1;
        }
    }

    /// <summary>
    /// An argument that refuses what looks like an option: System.CommandLine hands an unknown --name to an argument
    /// that takes any number of values, where it would pass for a file. A file named so is still reachable as ./-name.
    /// </summary>
    internal static Argument<T> RefusingOptions<T>(this Argument<T> argument)
    {
        argument.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => t.Value.Length > 1 && t.Value[0] == '-'))
            {
                result.AddError($"unknown option '{token.Value}'");
            }
        });
        return argument;
    }

    /// <summary>
    /// A whole-number option refused outside [min, max] while parsing, so a value the run cannot use exits 2 naming
    /// the option, as a malformed one does, instead of failing later with 1.
    /// </summary>
    internal static Option<T> InRange<T>(this Option<T> option, int min, int max = int.MaxValue)
    {
        option.Validators.Add(result =>
        {
            // The token, not the value: a malformed one has its own error already, and reading its value would throw.
            if (result.Tokens is [{ } token] && int.TryParse(token.Value, CultureInfo.InvariantCulture, out int value) && (value < min || value > max))
            {
                result.AddError(max == int.MaxValue ? $"{option.Name} must be at least {min} (was {value})" : $"{option.Name} must be between {min} and {max} (was {value})");
            }
        });
        return option;
    }

    /// <summary>The error's message and, for a local user, what ffmpeg said (a service keeps that out of its answers).</summary>
    internal static string Describe(Exception e) =>
        e is AudioFormatException { Diagnostics: { } said } ? $"{e.Message} ({said})" : e.Message;
}
