using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Rtser.Api.Live;
using Rtser.Api.Predictions;
using Rtser.Tests.Shared;

namespace Rtser.Api.Tests;

/// <summary>The live endpoint's messages as the server writes them and as the page's one definition (live-messages.js) names them.</summary>
public sealed partial class LiveMessageContractTests
{
    private static readonly string Definition = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "wwwroot", "js", "live-messages.js"));

    /// <summary>Type name to field names, from the LIVE_MESSAGES object literal.</summary>
    private static Dictionary<string, string[]> PageMessages()
    {
        string body = Block().Match(Definition).Groups[1].Value;
        return Entry().Matches(body).ToDictionary(
            m => m.Groups[1].Value,
            m => Field().Matches(m.Groups[2].Value).Select(f => f.Groups[1].Value).ToArray(),
            StringComparer.Ordinal);
    }

    /// <summary>One message of each type, as the server sends it.</summary>
    private static IEnumerable<LiveMessage> Samples() =>
    [
        new LiveReady("m", ["neutral"], 16000, 2, 0.5, new SpeakerAdaptation("m", true, 3, 3)),
        new LiveReading(0, 0.5, "neutral", 1, new Dictionary<string, double> { ["neutral"] = 1 }, 0.5, 1),
        new LiveSummary("neutral", 1, new Dictionary<string, double> { ["neutral"] = 1 }, 0.5, 0.5, Guid.Empty, new HeardChannel("clean", new Dictionary<string, double> { ["clean"] = 1 })),
        new LiveError("why"),
    ];

    [Fact]
    public void The_page_defines_the_same_message_types_and_fields_as_the_server_writes()
    {
        Dictionary<string, string[]> page = PageMessages();
        Dictionary<string, string[]> server = Samples().Select(m => JsonDocument.Parse(m.ToUtf8()).RootElement).ToDictionary(
            e => e.GetProperty("type").GetString()!,
            e => e.EnumerateObject().Select(p => p.Name).Where(n => n != "type").ToArray(),
            StringComparer.Ordinal);

        Assert.Equal(["error", "reading", "ready", "summary"], page.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(server.Keys.Order(StringComparer.Ordinal), page.Keys.Order(StringComparer.Ordinal));
        Assert.All(server, kv => Assert.Equal(kv.Value.Order(StringComparer.Ordinal), page[kv.Key].Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void Every_message_type_the_server_declares_has_a_sample_here()
    {
        // A new LiveMessage record has to be added to Samples, and so to the comparison with the page.
        Assert.Equal(
            typeof(LiveMessage).GetCustomAttributes<JsonDerivedTypeAttribute>().Select(d => d.DerivedType.Name).Order(StringComparer.Ordinal),
            Samples().Select(s => s.GetType().Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_message_the_page_sends_to_stop_is_the_one_the_server_understands()
    {
        Assert.Equal(LiveMessage.Stop, StopConstant().Match(Definition).Groups[1].Value);
    }

    [Fact]
    public void A_message_is_written_with_its_type_first_and_null_fields_kept()
    {
        string json = System.Text.Encoding.UTF8.GetString(new LiveSummary("no_speech", 0, new Dictionary<string, double>(), 1.5, 0, null).ToUtf8());

        Assert.Equal("""{"type":"summary","label":"no_speech","confidence":0,"probabilities":{},"durationSeconds":1.5,"speechSeconds":0,"id":null,"channel":null}""", json);
    }

    [GeneratedRegex(@"LIVE_MESSAGES = Object\.freeze\(\{(.*?)\}\);", RegexOptions.Singleline)]
    private static partial Regex Block();

    [GeneratedRegex(@"(\w+):\s*\[([^\]]*)\]")]
    private static partial Regex Entry();

    [GeneratedRegex(@"'(\w+)'")]
    private static partial Regex Field();

    [GeneratedRegex(@"LIVE_STOP = '(\w+)'")]
    private static partial Regex StopConstant();
}
