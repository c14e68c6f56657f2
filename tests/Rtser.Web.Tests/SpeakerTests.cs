using Microsoft.Playwright;
using Rtser.Tests.Shared;
using static Microsoft.Playwright.Assertions;

namespace Rtser.Web.Tests;

/// <summary>The service with speaker profiles of 2 recordings, so a test reaches the adapted model in three uploads.</summary>
public sealed class SpeakerWebAppFixture : WebAppFixture
{
    protected override string ExtraArguments => "--Rtser:SpeakerProfileMinimum 2";
}

[CollectionDefinition(Name)]
public sealed class SpeakerWebAppCollection : ICollectionFixture<SpeakerWebAppFixture>
{
    public const string Name = "web app with short speaker profiles";
}

[Collection(SpeakerWebAppCollection.Name)]
public sealed class SpeakerTests(SpeakerWebAppFixture app)
{
    private const string Adapted = "cnn-rnn-spk-emodb";
    private const string Fallback = "cnn-rnn-emodb";

    private static FilePayload EmoDb(string name) => new()
    {
        Name = name + ".wav",
        MimeType = "audio/wav",
        Buffer = File.ReadAllBytes(Path.Combine(Rtser.Tests.Shared.TestPaths.Datasets, "emodb", "wav", name + ".wav")),
    };

    /// <summary>Every prediction the page posts, counted as the browser sends it.</summary>
    private static List<string> Posts(IPage page)
    {
        var posts = new List<string>();
        page.Request += (_, r) =>
        {
            if (r.Method == "POST" && r.Url.Contains("/api/predictions"))
            {
                lock (posts)
                {
                    posts.Add(r.Url);
                }
            }
        };
        return posts;
    }

    /// <summary>Picks the speaker-adapted model and a speaker no other test uses; returns the speaker.</summary>
    private static async Task<string> ChooseAdaptedModelForANewSpeakerAsync(IPage page)
    {
        string speaker = "t-" + Guid.NewGuid().ToString("N")[..8];
        await page.Locator("#model").SelectOptionAsync(Adapted);
        await page.Locator("#speaker").FillAsync(speaker);
        return speaker;
    }

    private static async Task<IPage> OpenAsync(BrowserPage b)
    {
        await b.Page.GotoAsync("/");
        await Expect(b.Page.Locator("body[data-ready=true]")).ToHaveCountAsync(1);
        return b.Page;
    }

    [CorpusFact]
    public async Task The_adapted_model_is_explained_and_without_a_speaker_the_page_asks_for_one_and_sends_nothing()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = await OpenAsync(b);
        List<string> posts = Posts(page);

        await page.Locator("#model").SelectOptionAsync(Adapted);
        await Expect(page.Locator("#model-info")).ToContainTextAsync($"adapts to the speaker named below; until that speaker has enough recordings, its fallback model {Fallback} answers");
        await page.Locator("#file").SetInputFilesAsync(EmoDb("03a01Wa"));

        await Expect(page.Locator("#speaker-error")).ToContainTextAsync($"{Adapted} adapts to the speaker: enter a speaker pseudonym");
        await Expect(page.Locator("#speaker")).ToBeFocusedAsync();
        await Expect(page.Locator("#speaker")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Locator("#speaker")).ToHaveAttributeAsync("aria-describedby", "speaker-hint speaker-error");
        await Expect(page.Locator("#speaker-hint")).ToContainTextAsync("not a person's name");
        await Expect(page.Locator("#result")).ToBeHiddenAsync();
        Assert.Empty(posts);

        // An ordinary model needs no speaker, so the message goes.
        await page.Locator("#model").SelectOptionAsync(Fallback);
        await Expect(page.Locator("#speaker-error")).ToBeEmptyAsync();
        Assert.Empty(b.ErrorsSoFar());
    }

    [CorpusFact]
    public async Task A_profile_read_as_one_emotion_shows_a_caution_beside_the_adapted_reading()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = await OpenAsync(b);
        string speaker = await ChooseAdaptedModelForANewSpeakerAsync(page);
        ILocator line = page.Locator("#result-adaptation"), caution = page.Locator("#result-adaptation-warning");

        await page.Locator("#file").SetInputFilesAsync(EmoDb("03a01Wa"));
        await Expect(line).ToContainTextAsync("0 of 2", new() { Timeout = 30_000 });
        await page.Locator("#file").SetInputFilesAsync(EmoDb("03a01Wa"));
        await Expect(line).ToContainTextAsync("1 of 2", new() { Timeout = 30_000 });
        await Expect(caution).ToBeHiddenAsync();

        await page.Locator("#file").SetInputFilesAsync(EmoDb("03a01Wa"));
        await Expect(line).ToContainTextAsync($"Adapted to speaker {speaker} (2 earlier recordings).", new() { Timeout = 30_000 });
        await Expect(caution).ToBeVisibleAsync();
        await Expect(caution).ToContainTextAsync("Caution: 2 of the 2 recordings in this speaker's profile read as");
        Assert.Empty(b.ErrorsSoFar());
    }

    [CorpusFact]
    public async Task Uploads_with_a_speaker_are_answered_by_the_fallback_until_the_profile_is_long_enough_then_adapted()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = await OpenAsync(b);
        string speaker = await ChooseAdaptedModelForANewSpeakerAsync(page);

        await page.Locator("#file").SetInputFilesAsync(EmoDb("03a01Wa"));

        ILocator line = page.Locator("#result-adaptation");
        await Expect(line).ToHaveTextAsync($"Speaker {speaker} has 0 of 2 recordings needed; answered by {Fallback}.", new() { Timeout = 30_000 });
        await Expect(page.Locator("#result-source")).ToContainTextAsync($"model {Fallback}");
        await Expect(page.Locator("#history-table tbody tr").First).ToContainTextAsync($"speaker {speaker}");

        await page.Locator("#file").SetInputFilesAsync(EmoDb("03a01Fa"));
        await Expect(line).ToHaveTextAsync($"Speaker {speaker} has 1 of 2 recordings needed; answered by {Fallback}.", new() { Timeout = 30_000 });

        await page.Locator("#file").SetInputFilesAsync(EmoDb("03a02Ta"));
        await Expect(line).ToContainTextAsync($"Adapted to speaker {speaker} (2 earlier recordings).", new() { Timeout = 30_000 });
        await Expect(page.Locator("#result-source")).ToContainTextAsync($"model {Adapted}");

        // A saved result shows the same line when viewed from the history.
        ILocator rows = page.Locator("#history-table tbody tr").Filter(new() { HasText = $"speaker {speaker}" });
        await Expect(rows).ToHaveCountAsync(3);
        await rows.Last.GetByRole(AriaRole.Button, new() { Name = "View" }).ClickAsync();
        await Expect(line).ToHaveTextAsync($"Speaker {speaker} has 0 of 2 recordings needed; answered by {Fallback}.");
        Assert.Empty(b.ErrorsSoFar());
    }

    [CorpusFact]
    public async Task Forgetting_a_speakers_profile_after_a_confirmation_keeps_the_predictions_and_the_next_upload_starts_a_new_profile()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = await OpenAsync(b);
        string speaker = "f-" + Guid.NewGuid().ToString("N")[..8];
        ILocator forget = page.GetByRole(AriaRole.Button, new() { Name = "Forget this speaker's profile" });
        await Expect(forget).ToBeDisabledAsync();
        await page.Locator("#model").SelectOptionAsync(Adapted);
        await page.Locator("#speaker").FillAsync(speaker);
        await Expect(forget).ToBeEnabledAsync();

        ILocator line = page.Locator("#result-adaptation");
        await page.Locator("#file").SetInputFilesAsync(EmoDb("03a01Wa"));
        await Expect(line).ToHaveTextAsync($"Speaker {speaker} has 0 of 2 recordings needed; answered by {Fallback}.", new() { Timeout = 30_000 });
        await page.Locator("#file").SetInputFilesAsync(EmoDb("03a01Fa"));
        await Expect(line).ToHaveTextAsync($"Speaker {speaker} has 1 of 2 recordings needed; answered by {Fallback}.", new() { Timeout = 30_000 });

        // Dismissing the confirmation sends nothing.
        var deletes = new List<string>();
        page.Request += (_, r) =>
        {
            if (r.Method == "DELETE")
            {
                lock (deletes)
                {
                    deletes.Add(r.Url);
                }
            }
        };
        var asked = new List<string>();
        bool accept = false;
        page.Dialog += async (_, d) =>
        {
            asked.Add(d.Message);
            if (accept)
            {
                await d.AcceptAsync();
            }
            else
            {
                await d.DismissAsync();
            }
        };
        await forget.ClickAsync();
        Assert.Single(asked);
        Assert.Contains($"Forget the profile of {speaker}?", asked[0], StringComparison.Ordinal);
        await Expect(page.Locator("#speaker-status")).ToBeEmptyAsync();
        Assert.Empty(deletes);

        // Accepted, from the keyboard.
        accept = true;
        await forget.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        ILocator status = page.Locator("#speaker-status");
        await Expect(status).ToHaveTextAsync($"Forgot the profile of {speaker} (2 recordings); its predictions stay in the history.");
        await Expect(status).ToHaveAttributeAsync("aria-live", "polite");
        await Expect(forget).ToBeFocusedAsync();
        Assert.Equal([$"{app.BaseUrl}/api/speakers/{speaker}/profile"], deletes);
        await Expect(page.Locator("#error")).ToBeHiddenAsync();
        await Expect(page.Locator("#history-table tbody tr").Filter(new() { HasText = $"speaker {speaker}" })).ToHaveCountAsync(2);

        // The next recording starts a new profile.
        await page.Locator("#file").SetInputFilesAsync(EmoDb("03a02Ta"));
        await Expect(line).ToHaveTextAsync($"Speaker {speaker} has 0 of 2 recordings needed; answered by {Fallback}.", new() { Timeout = 30_000 });
        Assert.Empty(b.ErrorsSoFar());
    }

    [Fact]
    public async Task Forgetting_a_speaker_without_a_profile_says_so_and_the_request_carries_the_api_key()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = await OpenAsync(b);
        // This service needs no key, so any key is let through: what matters is that the page sends the one it holds.
        await page.EvaluateAsync("() => sessionStorage.setItem('rtser.apiKey', 'page-key-42')");
        var keys = new List<string?>();
        page.Request += (_, r) =>
        {
            if (r.Method == "DELETE")
            {
                lock (keys)
                {
                    keys.Add(r.Headers.GetValueOrDefault("x-api-key"));
                }
            }
        };
        page.Dialog += (_, d) => d.AcceptAsync();
        string speaker = "n-" + Guid.NewGuid().ToString("N")[..8];
        ILocator forget = page.GetByRole(AriaRole.Button, new() { Name = "Forget this speaker's profile" });

        // Only a valid pseudonym enables the button.
        await page.Locator("#speaker").FillAsync("Jane Doe");
        await Expect(forget).ToBeDisabledAsync();
        await page.Locator("#speaker").FillAsync(speaker);
        await forget.ClickAsync();

        await Expect(page.Locator("#speaker-status")).ToHaveTextAsync($"{speaker} has no profile to forget.");
        await Expect(page.Locator("#error")).ToBeHiddenAsync();
        Assert.Equal(["page-key-42"], keys);
    }

    [CorpusFact]
    public async Task A_name_with_a_space_is_refused_as_a_speaker_in_the_page_before_anything_is_sent()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = await OpenAsync(b);
        List<string> posts = Posts(page);
        await page.Locator("#speaker").FillAsync("Jane Doe");
        Assert.True(await page.Locator("#speaker").EvaluateAsync<bool>("e => e.validity.patternMismatch"));

        await page.Locator("#file").SetInputFilesAsync(EmoDb("03a01Wa"));

        await Expect(page.Locator("#speaker-error")).ToContainTextAsync("“Jane Doe” is not accepted as a speaker");
        await Expect(page.Locator("#speaker-error")).ToContainTextAsync("pseudonym");
        await Expect(page.Locator("#speaker")).ToBeFocusedAsync();
        await Expect(page.Locator("#result")).ToBeHiddenAsync();

        // Recording is refused before the microphone opens, too.
        await page.Locator("#tab-record").ClickAsync();
        await page.Locator("#record-consent").CheckAsync();
        await page.Locator("#record-start").ClickAsync();
        await Expect(page.Locator("#speaker")).ToBeFocusedAsync();
        await Expect(page.Locator("#record-stop")).ToBeDisabledAsync();
        await Expect(page.Locator("#record-status")).ToBeEmptyAsync();
        Assert.Empty(posts);

        // Typing a valid pseudonym clears the message.
        await page.Locator("#speaker").FillAsync("jane.d");
        await Expect(page.Locator("#speaker-error")).ToBeEmptyAsync();
        await Expect(page.Locator("#speaker")).ToHaveAttributeAsync("aria-invalid", "false");
        Assert.Empty(b.ErrorsSoFar());
    }

    [Fact]
    public async Task Live_mode_with_the_adapted_model_asks_for_a_speaker_then_says_which_model_reads_the_stream()
    {
        await using BrowserPage b = await app.NewPageAsync();
        IPage page = b.Page;
        await MicrophoneProbe.InstallAsync(page);
        await OpenAsync(b);
        await page.Locator("#model").SelectOptionAsync(Adapted);
        await page.Locator("#tab-live").ClickAsync();
        await page.Locator("#live-consent").CheckAsync();
        await Expect(page.Locator("#live-model-note")).ToContainTextAsync("reads the stream against the profile of the speaker named above");

        await page.Locator("#live-start").ClickAsync();
        await Expect(page.Locator("#speaker-error")).ToContainTextAsync("adapts to the speaker");
        Assert.Equal(0, await MicrophoneProbe.StreamsOpenedAsync(page));

        string speaker = "t-" + Guid.NewGuid().ToString("N")[..8];
        await page.Locator("#speaker").FillAsync(speaker);
        await page.Locator("#live-start").ClickAsync();
        await Expect(page.Locator("#live-status")).ToContainTextAsync(
            $"{speaker} has 0 of the 2 recordings {Adapted} needs, so {Fallback} answers", new() { Timeout = 10_000 });
        await page.Locator("#live-stop").ClickAsync();
        await MicrophoneProbe.WaitReleasedAsync(page);
        await Expect(page.Locator("#error")).ToBeHiddenAsync();
    }

    [CorpusFact]
    public async Task At_phone_width_the_speaker_field_its_messages_the_forget_button_and_the_adaptation_line_pass_the_wcag_checks_and_fit()
    {
        await using BrowserPage b = await app.NewPageAsync(375, 740);
        IPage page = await OpenAsync(b);
        await page.Locator("#model").SelectOptionAsync(Adapted);
        await page.Locator("#speaker").FillAsync("p-" + Guid.NewGuid().ToString("N"));
        await page.Locator("#file").SetInputFilesAsync(EmoDb("03a01Wa"));
        await Expect(page.Locator("#result-adaptation")).ToContainTextAsync("recordings needed", new() { Timeout = 30_000 });
        page.Dialog += (_, d) => d.AcceptAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Forget this speaker's profile" }).ClickAsync();
        await Expect(page.Locator("#speaker-status")).ToContainTextAsync("(1 recording); its predictions stay in the history.");
        await page.Locator("#speaker").FillAsync("");
        await page.Locator("#file").SetInputFilesAsync(EmoDb("03a01Fa"));
        await Expect(page.Locator("#speaker-error")).Not.ToBeEmptyAsync();
        await page.Locator("#tab-live").ClickAsync();
        await page.Locator("#live-consent").CheckAsync();
        await Expect(page.Locator("#live-model-note")).Not.ToBeEmptyAsync();

        string[] found = await AccessibilityTests.ViolationsAsync(page);
        Assert.True(found.Length == 0, string.Join("\n", found));
        int overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"the page is {overflow} px wider than the 375 px screen");
    }
}
