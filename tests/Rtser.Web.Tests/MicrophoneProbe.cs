using Microsoft.Playwright;

namespace Rtser.Web.Tests;

/// <summary>
/// Watches, from inside the page, every microphone stream and AudioContext the page opens, so a test can tell
/// whether stopping really released the microphone (all tracks ended, all contexts closed).
/// </summary>
internal static class MicrophoneProbe
{
    private const string Script = """
        window.__streams = [];
        window.__contexts = [];
        const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
        navigator.mediaDevices.getUserMedia = async (c) => { const s = await open(c); window.__streams.push(s); return s; };
        const Base = window.AudioContext;
        window.AudioContext = class extends Base { constructor(...a) { super(...a); window.__contexts.push(this); } };
        """;

    public static Task InstallAsync(IPage page) => page.AddInitScriptAsync(Script);

    /// <summary>How many microphone streams were opened.</summary>
    public static Task<int> StreamsOpenedAsync(IPage page) => page.EvaluateAsync<int>("() => window.__streams.length");

    /// <summary>Waits until every track is ended and every AudioContext closed (fails after the timeout).</summary>
    public static async Task WaitReleasedAsync(IPage page, float timeoutMs = 5000)
    {
        try
        {
            await page.WaitForFunctionAsync(
                "() => window.__streams.flatMap(s => s.getTracks()).every(t => t.readyState === 'ended') && window.__contexts.every(c => c.state === 'closed')",
                null,
                new() { Timeout = timeoutMs });
        }
        catch (TimeoutException)
        {
            string state = await page.EvaluateAsync<string>(
                "() => JSON.stringify({ tracks: window.__streams.flatMap(s => s.getTracks()).map(t => t.readyState), contexts: window.__contexts.map(c => c.state) })");
            Assert.Fail("the microphone was not released: " + state);
        }
    }
}
