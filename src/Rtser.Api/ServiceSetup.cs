using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Rtser.Api.Access;
using Rtser.Api.Analysis;
using Rtser.Api.Observability;
using Rtser.Api.Predictions;
using Rtser.Api.Problems;
using Rtser.Api.Store;
using Rtser.Audio;
using Rtser.Features.Pipeline;
using Rtser.Inference;

namespace Rtser.Api;

/// <summary>The service's wiring, kept out of Program.cs so it reads as a table of contents.</summary>
public static class ServiceSetup
{
    public static IServiceCollection AddRtser(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RtserOptions>()
            .Bind(configuration.GetSection(RtserOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<RtserOptions>, RtserOptionsValidator>();
        services.AddProblemDetails();
        services.AddRequestTargetLimit();

        // A query value that does not bind (take=abc) throws, so the exception handler answers with the binder's reason.
        services.Configure<RouteHandlerOptions>(r => r.ThrowOnBadRequest = true);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(c =>
        {
            c.SwaggerDoc("v1", new() { Title = "RTSER", Version = "v1", Description = "Real-time speech emotion recognition" });
            c.IncludeXmlComments(Path.Combine(AppContext.BaseDirectory, "Rtser.Api.xml"));
            c.OperationFilter<AudioUploadDocumentation>();
            ApiKeyDocumentation.AddTo(c);
        });
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new SpeechFeatureExtractor());
        services.AddSingleton(sp => ModelRegistry.Load(Options(sp).ModelsDirectory, sp.GetRequiredService<SpeechFeatureExtractor>()));
        services.AddSingleton(sp => new EmotionPredictor(sp.GetRequiredService<SpeechFeatureExtractor>()));
        services.AddSingleton(sp => new EmotionAnalyzer(sp.GetRequiredService<EmotionPredictor>(), Options(sp).Timeline));
        services.AddSingleton<IAudioDecoder>(sp => new MediaDecoder(new MediaDecoderOptions
        {
            MaxDurationSeconds = Options(sp).MaxDurationSeconds,
            MaxInputBytes = Options(sp).MaxUploadBytes,
            RejectTruncatedData = true,
            UseFfmpeg = Options(sp).UseFfmpeg,
            FfmpegPath = Options(sp).FfmpegPath,
            TempDirectory = Path.GetFullPath(Path.Combine(Options(sp).DataDirectory, "tmp")),
        }));
        services.AddSingleton(sp => new SpeakerProfilePolicy(sp.GetRequiredService<ModelRegistry>(), Options(sp).SpeakerProfileMinimum, Options(sp).ProfileCompensationGate));
        services.AddSingleton<AnalysisService>();
        services.AddSingleton<InferenceGate>();
        services.AddRtserMetrics();
        services.AddSingleton<Live.LiveStreamSlots>();
        services.AddHostedService<RetentionService>();
        services.AddApiKeys();
        services.AddRateLimiter(RateLimits.Configure);
        services.AddSingleton<IPredictionStore>(sp => CreateStore(Options(sp)));
        return services;
    }

    /// <summary>
    /// Loads the models and opens (or migrates) the store before the first request, so a bad model card or an
    /// unreachable database stops start-up with its own message instead of failing requests later.
    /// </summary>
    public static async Task StartRtserAsync(this WebApplication app)
    {
        RtserOptions o = Options(app.Services);
        ModelRegistry models = app.Services.GetRequiredService<ModelRegistry>();
        if (o.DefaultModel is null)
        {
            if (!models.TryGetDefault(o.DefaultLanguage, out _))
            {
                throw new ModelLoadException($"No model in {o.ModelsDirectory} is recommended for the default language '{o.DefaultLanguage}' (Rtser:DefaultLanguage); languages with a default: {string.Join(", ", models.Languages)}.");
            }
        }
        else if (!models.TryGet(o.DefaultModel, out EmotionModel? pinned))
        {
            throw new ModelLoadException($"The default model '{o.DefaultModel}' is not among the models in {o.ModelsDirectory}: {string.Join(", ", models.Models.Select(m => m.Id))}.");
        }
        else if (pinned.AdaptsToSpeaker)
        {
            throw new ModelLoadException($"The default model '{o.DefaultModel}' adapts to the speaker and cannot label a recording without one; choose a per-recording model.");
        }

        await app.Services.GetRequiredService<IPredictionStore>().InitializeAsync(app.Lifetime.ApplicationStopping);

        // Uploads a killed process left for ffmpeg: audio is not kept, crash or not.
        int leftovers = (app.Services.GetRequiredService<IAudioDecoder>() as MediaDecoder)?.DeleteLeftoverFiles() ?? 0;
        if (leftovers > 0)
        {
            app.Logger.LogWarning("Deleted {Count} temporary upload files left by a process that was killed", leftovers);
        }
    }

    public static WebApplication UseRtser(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRequestTargetLimit();
        app.UseSecurityHeaders();
        app.UseRequestMetrics();
        app.UseWebSockets();
        app.UseSwagger();
        app.UseSwaggerUI();
        string webRoot = Path.GetFullPath(app.Configuration["WebRoot"] ?? Path.Combine(AppContext.BaseDirectory, "wwwroot"));
        if (Directory.Exists(webRoot))
        {
            var files = new PhysicalFileProvider(webRoot);
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        }

        app.UseMiddleware<OriginCheck>();
        app.UseAuthentication();
        app.UseAuthorization();

        // After authorization, so the per-caller limit partitions by the key's name.
        app.UseRateLimiter();

        return app;
    }

    internal static IPredictionStore CreateStore(RtserOptions o) =>
        o.StoreConnectionString is { Length: > 0 } cs && cs.Contains("Host=", StringComparison.OrdinalIgnoreCase)
            ? new PostgresPredictionStore(cs)
            : new SqlitePredictionStore(o.StoreConnectionString is { Length: > 0 } file ? file : Path.Combine(o.DataDirectory, "rtser.db"));

    private static RtserOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<RtserOptions>>().Value;
}
