using Microsoft.Extensions.Options;
using Rtser.Api;
using Rtser.Api.Access;
using Rtser.Api.Health;
using Rtser.Api.Live;
using Rtser.Api.Models;
using Rtser.Api.Observability;
using Rtser.Api.Predictions;
using Rtser.Api.Speakers;
using Rtser.Inference;

// appsettings.json beside the binary applies wherever the service is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.WebHost.UseUrls(builder.Configuration["urls"] ?? "http://localhost:8080");
builder.Services.AddRtser(builder.Configuration);

var app = builder.Build();
try
{
    await app.StartRtserAsync();
}
catch (Exception e) when (e is ModelLoadException or OptionsValidationException)
{
    app.Logger.LogCritical("Cannot start: {Reason}", e.Message);

    // The console logger writes from a background queue; disposing the app flushes it, so the reason is never lost on exit.
    await app.DisposeAsync();
    return 1;
}

app.UseRtser();
app.MapHealthApi();
app.MapMetricsApi();

// Everything under /api belongs to a tenant when API keys are on.
RouteGroupBuilder api = app.MapGroup("").RequireAuthorization(ApiKeys.TenantPolicy);
api.MapModelsApi();
api.MapPredictionsApi();
api.MapSpeakersApi();
api.MapStreamApi();
await app.RunAsync();
return 0;
