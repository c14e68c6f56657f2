using System.Numerics.Tensors;
using Rtser.Features.Dsp;

namespace Rtser.Features.Mfcc;

/// <summary>
/// Incremental MFCC over chunks of any size. Frames are independent in Kaldi's recipe (DC removal and
/// pre-emphasis are per frame), so the only state is the unfinished frame's samples and, with deltas,
/// the few static frames the delta window still needs. Not thread-safe: one per signal.
/// </summary>
public sealed class MfccStream
{
    private readonly MfccExtractor _e;
    private readonly MfccOptions _o;
    private readonly RealFft _fft;
    private readonly FrameAssembler _frames;
    private readonly float[] _work;
    private readonly float[] _power;
    private readonly float[] _logMel;
    private readonly float[] _static;
    private readonly FeatureBuffer? _history; // static frames awaiting their delta context
    private readonly int _maxOffset;
    private long _historyStart; // absolute index of _history row 0
    private long _staticFrames;
    private long _emitted;

    internal MfccStream(MfccExtractor extractor)
    {
        _e = extractor;
        _o = extractor.Options;
        _fft = new RealFft(_o.FftSize);
        _frames = new FrameAssembler(_o.FrameLength, _o.FrameShift);
        _work = new float[_o.FrameLength];
        _power = new float[(_o.FftSize / 2) + 1];
        _logMel = new float[_o.MelBins];
        _static = new float[_o.Coefficients];
        _maxOffset = _o.DeltaOrder * _o.DeltaWindow;
        if (_o.DeltaOrder > 0)
        {
            _history = new FeatureBuffer(_o.Coefficients, (4 * _maxOffset) + 4);
        }
    }

    /// <summary>Frames emitted so far.</summary>
    public long FramesEmitted => _emitted;

    /// <summary>
    /// Appends the frames completed by <paramref name="samples"/> to <paramref name="output"/>
    /// (width <see cref="MfccExtractor.Width"/>). <paramref name="frameEnergy"/>, if given (width 1),
    /// receives each static frame's RMS level in dB re full scale, which the speech activity detector uses.
    /// </summary>
    public void Push(ReadOnlySpan<float> samples, FeatureBuffer output, FeatureBuffer? frameEnergy = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.Width != _o.Width)
        {
            throw new ArgumentException($"Output width {output.Width} differs from the extractor's {_o.Width}.", nameof(output));
        }

        while (_frames.TryFill(ref samples))
        {
            ProcessFrame(_frames.Frame, frameEnergy);
            EmitStatic(output, final: false);
            _frames.Advance();
        }
    }

    /// <summary>Emits frames held back for their right-hand delta context, padding by repetition like Kaldi.</summary>
    public void Flush(FeatureBuffer output)
    {
        ArgumentNullException.ThrowIfNull(output);
        EmitStatic(output, final: true);
    }

    private void ProcessFrame(float[] frame, FeatureBuffer? frameEnergy)
    {
        int n = _o.FrameLength;
        Span<float> w = _work;
        TensorPrimitives.Multiply(frame, _o.InputScale, w);
        if (_o.RemoveDcOffset)
        {
            TensorPrimitives.Subtract(w, TensorPrimitives.Sum(w) / n, w);
        }

        float rawEnergy = TensorPrimitives.SumOfSquares(w);
        float p = _o.PreEmphasis;
        if (p != 0f)
        {
            for (int i = n - 1; i > 0; i--)
            {
                w[i] -= p * w[i - 1];
            }

            w[0] -= p * w[0];
        }

        TensorPrimitives.Multiply(w, _e.Window, w);
        float energy = _o.RawEnergy ? rawEnergy : TensorPrimitives.SumOfSquares(w);
        float logEnergy = Math.Max(MathF.Log(Math.Max(energy, MfccExtractor.Epsilon)), _e.LogEnergyFloor);

        _fft.PowerSpectrum(w, _power);
        MfccExtractor.MelEnergies(_e, _power, _logMel);

        int bins = _o.MelBins;
        for (int j = 0; j < _static.Length; j++)
        {
            _static[j] = TensorPrimitives.Dot(_e.Dct.AsSpan(j * bins, bins), _logMel);
        }

        if (_o.UseEnergy)
        {
            _static[0] = logEnergy;
        }

        if (frameEnergy is not null)
        {
            float meanSquare = rawEnergy / (n * _o.InputScale * _o.InputScale);
            frameEnergy.AddRow()[0] = 10f * MathF.Log10(meanSquare + 1e-12f);
        }

        _staticFrames++;
    }

    private void EmitStatic(FeatureBuffer output, bool final)
    {
        if (_history is null)
        {
            if (!final)
            {
                output.Add(_static);
                _emitted++;
            }

            return;
        }

        if (!final)
        {
            _history.Add(_static);
        }

        long total = _staticFrames;
        while (_emitted < total && (final || _emitted + _maxOffset < total))
        {
            WriteDeltaFrame(output.AddRow(), _emitted, total);
            _emitted++;
        }

        // Keep only what the next frame's left context needs.
        long keepFrom = Math.Max(0, _emitted - _maxOffset);
        int drop = (int)(keepFrom - _historyStart);
        if (drop > 0)
        {
            _history.RemoveFirst(drop);
            _historyStart = keepFrom;
        }
    }

    private void WriteDeltaFrame(Span<float> row, long t, long total)
    {
        int c = _o.Coefficients;
        for (int order = 0; order <= _o.DeltaOrder; order++)
        {
            float[] scales = _e.DeltaScales[order];
            int offset = (scales.Length - 1) / 2;
            Span<float> dst = row.Slice(order * c, c);
            for (int j = 0; j < scales.Length; j++)
            {
                long src = Math.Clamp(t + j - offset, 0, total - 1);
                TensorPrimitives.MultiplyAdd(_history!.Row((int)(src - _historyStart)), scales[j], dst, dst);
            }
        }
    }
}
