// Dev tool: checks models/<id>.onnx in ONNX Runtime (the C# service's runtime) against
// models/parity/<id>.json (inputs + the training framework's probabilities) and times the 3 s case.
//   dotnet run -c Release --project training/ortcheck -- models [id ...]
// Not part of RTSER.sln; outside central package management on purpose.
using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

// usage: ortcheck <models-dir> [id ...]  -- reads <dir>/<id>.onnx and <dir>/parity/<id>.json
var dir = args[0];
var ids = args.Length > 1 ? args.Skip(1).ToArray()
    : Directory.GetFiles(Path.Combine(dir, "parity"), "*.json").Select(p => Path.GetFileNameWithoutExtension(p)).ToArray();
int failures = 0;
foreach (var id in ids)
{
    var opts = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
    using var sess = new InferenceSession(Path.Combine(dir, id + ".onnx"), opts);
    using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "parity", id + ".json")));
    var root = doc.RootElement;
    string outName = root.GetProperty("outputName").GetString();
    double maxDiff = 0; int agree = 0, n = 0;
    List<NamedOnnxValue> timingInputs = null;
    foreach (var c in root.GetProperty("cases").EnumerateArray())
    {
        var inputs = new List<NamedOnnxValue>();
        foreach (var inp in c.GetProperty("inputs").EnumerateObject())
        {
            var shape = inp.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var data = inp.Value.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            inputs.Add(NamedOnnxValue.CreateFromTensor(inp.Name, new DenseTensor<float>(data, shape)));
        }
        var expected = c.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        using var res = sess.Run(inputs);
        var got = res.First(r => r.Name == outName).AsTensor<float>().ToArray();
        for (int i = 0; i < expected.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(got[i] - expected[i]));
        if (Array.IndexOf(got, got.Max()) == Array.IndexOf(expected, expected.Max())) agree++;
        n++;
        if (c.TryGetProperty("timing", out var t) && t.GetBoolean()) timingInputs = inputs;
    }
    string timing = "";
    if (timingInputs != null)
    {
        for (int i = 0; i < 20; i++) sess.Run(timingInputs).Dispose();
        var sw = Stopwatch.StartNew(); int reps = 200;
        for (int i = 0; i < reps; i++) sess.Run(timingInputs).Dispose();
        timing = $" timing-case {sw.Elapsed.TotalMilliseconds / reps:F3} ms/run";
    }
    bool ok = maxDiff <= 1e-4;
    if (!ok) failures++;
    Console.WriteLine($"{(ok ? "OK  " : "FAIL")} {id}: cases={n} maxAbsDiff={maxDiff:E2} argmaxAgree={agree}/{n}{timing}");
}
return failures == 0 ? 0 : 1;
