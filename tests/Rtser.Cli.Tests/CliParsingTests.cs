using System.CommandLine;

namespace Rtser.Cli.Tests;

/// <summary>The command line alone: these runs stop before any file is read, so they need no corpus or model.</summary>
public sealed class CliParsingTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Help_lists_the_commands_and_exits_0()
    {
        var (code, output, _) = Run("--help");

        Assert.Equal(0, code);
        Assert.Contains("features", output, StringComparison.Ordinal);
        Assert.Contains("export", output, StringComparison.Ordinal);
        Assert.Contains("predict", output, StringComparison.Ordinal);
        Assert.Contains("evaluate", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("features", "--deltas")]
    [InlineData("export", "--corpus", "--out", "--limit", "--feature-config")]
    [InlineData("predict", "--model", "--models", "--min-profile")]
    [InlineData("evaluate", "--folds", "--data", "--corpus", "--condition", "--joined", "--out")]
    public void A_commands_help_lists_its_options_and_exits_0(string command, params string[] options)
    {
        var (code, output, error) = Run(command, "--help");

        Assert.True(code == 0, error);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        Assert.Contains($" {command} ", output, StringComparison.Ordinal);
        Assert.All(options, o => Assert.Contains(o, output, StringComparison.Ordinal));
        Assert.DoesNotContain("needs a value", output + error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("predict", "clip.wav", "--modle", "svm-emodb")]
    [InlineData("features", "--modle", "clip.wav")]
    [InlineData("export", "corpus-folder", "--corpus", "emodb", "--out", "o", "--modle", "x")]
    public void An_unknown_option_is_refused_by_name_with_exit_code_2(params string[] args)
    {
        var (code, output, error) = Run(args);

        Assert.Equal(2, code);
        Assert.Contains("--modle", error, StringComparison.Ordinal);
        Assert.Empty(output);
    }

    [Theory]
    [InlineData("--model", "predict", "clip.wav", "--model")]
    [InlineData("--corpus", "export", "corpus-folder", "--out", "features")]
    [InlineData("--deltas", "features", "clip.wav", "--deltas", "two")]
    [InlineData("files-or-folders", "predict")]
    [InlineData("--folds", "evaluate", "--data", "d", "--corpus", "emodb")]
    public void A_missing_or_malformed_value_is_refused_by_name_with_exit_code_2(string named, params string[] args)
    {
        var (code, output, error) = Run(args);

        Assert.Equal(2, code);
        Assert.Contains(named, error, StringComparison.Ordinal);
        Assert.Contains("usage:", error, StringComparison.Ordinal);
        Assert.Empty(output);
    }

    [Theory]
    [InlineData("--deltas must be between 0 and 2 (was 3)", "features", "clip.wav", "--deltas", "3")]
    [InlineData("--deltas must be between 0 and 2 (was -1)", "features", "clip.wav", "--deltas", "-1")]
    [InlineData("--min-profile must be at least 1 (was 0)", "predict", "clip.wav", "--min-profile", "0")]
    [InlineData("--min-profile must be at least 1 (was 0)", "predict", "clip.wav", "--model", "svm-emodb", "--min-profile", "0")]
    [InlineData("--limit must be at least 1 (was 0)", "export", "corpus-folder", "--corpus", "emodb", "--out", "o", "--limit", "0")]
    [InlineData("--corpus must be emodb or ravdess (was 'iemocap')", "export", "corpus-folder", "--corpus", "iemocap", "--out", "o")]
    [InlineData("--corpus must be emodb or ravdess (was 'iemocap')", "evaluate", "--folds", "f", "--data", "d", "--corpus", "iemocap")]
    public void A_value_out_of_range_is_refused_by_name_with_exit_code_2_before_any_file_is_read(string message, params string[] args)
    {
        var (code, output, error) = Run(args);

        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Contains("usage:", error, StringComparison.Ordinal);
        Assert.Empty(output);
    }

    [Theory]
    [InlineData("features", "clip.wav", "--deltas", "0")]
    [InlineData("features", "clip.wav", "--deltas", "2")]
    [InlineData("predict", "clip.wav", "--min-profile", "1")]
    [InlineData("export", "corpus-folder", "--corpus", "ravdess", "--out", "o", "--limit", "1")]
    public void The_ends_of_each_range_are_accepted(params string[] args)
    {
        Assert.Empty(CliApp.Commands().Parse(args).Errors);
    }

    [Fact]
    public void No_command_is_refused_with_exit_code_2()
    {
        Assert.Equal(2, Run().Code);
    }

    [Fact]
    public void Features_takes_one_file_and_a_delta_order_that_defaults_to_0()
    {
        ParseResult given = CliApp.Commands().Parse(["features", "a.wav", "--deltas", "2"]);
        ParseResult defaulted = CliApp.Commands().Parse(["features", "a.wav"]);

        Assert.Empty(given.Errors);
        Assert.Equal("a.wav", given.GetValue<string>("file"));
        Assert.Equal(2, given.GetValue<int>("--deltas"));
        Assert.Equal(0, defaulted.GetValue<int>("--deltas"));
        Assert.NotEmpty(CliApp.Commands().Parse(["features", "a.wav", "b.wav"]).Errors);
    }

    [Fact]
    public void Export_takes_a_folder_a_corpus_an_output_folder_a_limit_and_a_feature_config()
    {
        ParseResult p = CliApp.Commands().Parse(["export", "data/emodb", "--corpus", "emodb", "--out", "out", "--limit", "12", "--feature-config", "f.json"]);

        Assert.Empty(p.Errors);
        Assert.Equal("data/emodb", p.GetValue<string>("dataset-folder"));
        Assert.Equal("emodb", p.GetValue<string>("--corpus"));
        Assert.Equal("out", p.GetValue<string>("--out"));
        Assert.Equal(12, p.GetValue<int?>("--limit"));
        Assert.Equal("f.json", p.GetValue<string?>("--feature-config"));
        Assert.Null(CliApp.Commands().Parse(["export", "d", "--corpus", "emodb", "--out", "o"]).GetValue<int?>("--limit"));
    }

    [Fact]
    public void Predict_takes_several_inputs_a_language_a_model_a_models_folder_and_a_profile_size_with_the_services_defaults()
    {
        ParseResult p = CliApp.Commands().Parse(["predict", "a.wav", "calls", "--language", "de", "--model", "svm-emodb", "--models", "m", "--min-profile", "3"]);
        ParseResult defaulted = CliApp.Commands().Parse(["predict", "a.wav"]);

        Assert.Empty(p.Errors);
        Assert.Equal(["a.wav", "calls"], p.GetValue<string[]>("files-or-folders")!);
        Assert.Equal("de", p.GetValue<string>("--language"));
        Assert.Equal("svm-emodb", p.GetValue<string>("--model"));
        Assert.Equal("m", p.GetValue<string?>("--models"));
        Assert.Equal(3, p.GetValue<int>("--min-profile"));
        Assert.Equal("en", defaulted.GetValue<string>("--language"));
        Assert.Null(defaulted.GetValue<string?>("--model"));
        Assert.Null(defaulted.GetValue<string?>("--models"));
        Assert.Equal(10, defaulted.GetValue<int>("--min-profile"));
    }
}
