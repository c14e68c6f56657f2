using System.Text.Json;
using Rtser.Api.Predictions;

namespace Rtser.Api.Tests;

/// <summary>The response's JSON, pinned by hand: the API's own types must keep the keys clients read.</summary>
public sealed class PredictionJsonTests
{
    [Fact]
    public void A_prediction_serialises_with_the_keys_clients_read()
    {
        Prediction p = StoreContractTests.Make(0, "angry") with
        {
            Id = Guid.Parse("0190c1f2-8a00-7000-8000-000000000001"),
            Speaker = "p-07",
            Adaptation = new SpeakerAdaptation("cnn-rnn-spk-emodb", false, 2, 3, new Dictionary<string, int> { ["angry"] = 2 }),
            Channel = new HeardChannel("phone", new Dictionary<string, double> { ["clean"] = 0.25, ["phone"] = 0.75 }),
        };

        string json = JsonSerializer.Serialize(p, new JsonSerializerOptions(JsonSerializerDefaults.Web));

        Assert.Equal(
            """{"id":"0190c1f2-8a00-7000-8000-000000000001","createdAt":"2026-03-01T08:00:00+00:00","fileName":"clip-0.wav","model":"cnn-rnn-emodb","label":"angry","confidence":0.75"""
            + ""","probabilities":{"angry":0.75,"other":0.25},"durationSeconds":3.25,"speechSeconds":2.5"""
            + ""","segments":[{"start":0,"end":2,"label":"no_speech","confidence":0,"probabilities":{}},{"start":0.5,"end":2.5,"label":"angry","confidence":0.75,"probabilities":{"angry":0.75,"other":0.25}}]"""
            + ""","processingMs":1.5,"speaker":"p-07","adaptation":{"model":"cnn-rnn-spk-emodb","applied":false,"profileRecordings":2,"requiredRecordings":3,"profileLabels":{"angry":2},"warning":null,"compensated":false}"""
            + ""","channel":{"heard":"phone","probabilities":{"clean":0.25,"phone":0.75}}}""",
            json);
    }
}
