using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Rtser.Features.Dsp;

namespace Rtser.Features.Modulation;

/// <summary>
/// Incremental modulation spectrum over chunks of any size; <see cref="ModulationSpectrumExtractor.Compute"/>
/// runs the same code on the whole signal, so chunking cannot change a single bit of the output.
/// State: the unfinished STFT frame, the modulation filters' two states per cell, and the energy
/// accumulators of the frames still open (a 256 ms frame every 64 ms: up to 4 at once).
/// Nothing is allocated per frame. Not thread-safe: one per signal.
/// </summary>
public sealed class ModulationSpectrumStream
{
    private readonly ModulationSpectrumExtractor _e;
    private readonly RealFft _fft;
    private readonly int _bands;
    private readonly int _padded;
    private readonly int _mods;
    private readonly float _floor;
    private readonly FrameAssembler _frames;
    private readonly float[] _work;
    private readonly float[] _power;
    private readonly float[] _envelope; // padded to whole vectors; the padding stays 0
    private readonly float[] _state1;   // [m][a] transposed DF2T states, padded per m
    private readonly float[] _state2;
    private readonly float[] _squared;  // [m][a] squared filter outputs of the current envelope sample
    private readonly float[] _energy;   // [slot][m][a] accumulators of the open frames
    private long _envelopes;

    internal ModulationSpectrumStream(ModulationSpectrumExtractor extractor)
    {
        _e = extractor;
        var o = extractor.Options;
        _fft = new RealFft(o.FftSize);
        _bands = o.AcousticBands;
        _padded = extractor.PaddedBands;
        _mods = o.ModulationBands;
        _floor = (float)o.EnergyFloor;
        _frames = new FrameAssembler(o.FftSize, o.EnvelopeHop);
        _work = new float[o.FftSize];
        _power = new float[(o.FftSize / 2) + 1];
        _envelope = new float[_padded];
        _state1 = new float[_mods * _padded];
        _state2 = new float[_mods * _padded];
        _squared = new float[_mods * _padded];
        _energy = new float[extractor.OpenFrames * _mods * _padded];
    }

    /// <summary>Frames emitted so far.</summary>
    public long FramesEmitted { get; private set; }

    /// <summary>
    /// Appends the frames that <paramref name="samples"/> complete to <paramref name="output"/>
    /// (width <see cref="ModulationSpectrumExtractor.Width"/>) and returns how many. A frame is complete
    /// once all of its 256 ms (plus one 16 ms STFT window) has arrived; there is nothing to flush.
    /// </summary>
    public int Push(ReadOnlySpan<float> samples, FeatureBuffer output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.Width != _e.Width)
        {
            throw new ArgumentException($"Output width {output.Width} differs from the extractor's {_e.Width}.", nameof(output));
        }

        long before = FramesEmitted;
        while (_frames.TryFill(ref samples))
        {
            ComputeEnvelope(_frames.Frame);
            FilterAndAccumulate(output);
            _frames.Advance();
        }

        return (int)(FramesEmitted - before);
    }

    /// <summary>Forgets all audio, as if newly created.</summary>
    public void Reset()
    {
        _frames.Reset();
        _envelopes = 0;
        FramesEmitted = 0;
        Array.Clear(_state1);
        Array.Clear(_state2);
        Array.Clear(_energy);
    }

    /// <summary>The band envelopes of the last STFT frame (for tests).</summary>
    internal ReadOnlySpan<float> Envelope => _envelope.AsSpan(0, _bands);

    /// <summary>
    /// Only the first stage: the acoustic band envelopes of <paramref name="samples"/>, one row of
    /// <c>AcousticBands</c> per envelope step, exactly as <see cref="Push"/> computes them. With
    /// <see cref="PushEnvelopes"/> on a fresh stream, a window that starts on an envelope step gets the same
    /// frames as <see cref="Push"/> on its samples, so overlapping windows can share this stage.
    /// </summary>
    internal void PushEnvelopesOnly(ReadOnlySpan<float> samples, FeatureBuffer envelopes)
    {
        while (_frames.TryFill(ref samples))
        {
            ComputeEnvelope(_frames.Frame);
            envelopes.Add(Envelope);
            _frames.Advance();
        }
    }

    /// <summary>The rest of <see cref="Push"/> on envelope rows made by <see cref="PushEnvelopesOnly"/>.</summary>
    internal int PushEnvelopes(ReadOnlySpan<float> envelopeRows, FeatureBuffer output)
    {
        long before = FramesEmitted;
        for (int at = 0; at + _bands <= envelopeRows.Length; at += _bands)
        {
            envelopeRows.Slice(at, _bands).CopyTo(_envelope);
            FilterAndAccumulate(output);
        }

        return (int)(FramesEmitted - before);
    }


    /// <summary>Band envelopes of one FftSize frame: sqrt of the gammatone-weighted power spectrum.</summary>
    internal void ComputeEnvelope(ReadOnlySpan<float> frame)
    {
        TensorPrimitives.Multiply(frame, _e.Window, _work);
        _fft.PowerSpectrum(_work, _power);
        int[] start = _e.BandStart;
        float[][] weights = _e.BandWeights;
        for (int a = 0; a < _bands; a++)
        {
            float[] w = weights[a];
            float power = TensorPrimitives.Dot(w, _power.AsSpan(start[a], w.Length));
            _envelope[a] = MathF.Sqrt(Math.Max(power, 0f) + ModulationSpectrumExtractor.EnvelopePowerFloor);
        }
    }

    private void FilterAndAccumulate(FeatureBuffer output)
    {
        if (_envelopes == 0)
        {
            Prewarm();
        }

        // Transposed direct form II with the band-pass numerator (b0, 0, -b0), all acoustic bands at once.
        ReadOnlySpan<Vector<float>> x = MemoryMarshal.Cast<float, Vector<float>>(_envelope);
        for (int m = 0; m < _mods; m++)
        {
            var b0 = new Vector<float>(_e.ModB0[m]);
            var a1 = new Vector<float>(_e.ModA1[m]);
            var a2 = new Vector<float>(_e.ModA2[m]);
            Span<Vector<float>> s1 = MemoryMarshal.Cast<float, Vector<float>>(_state1.AsSpan(m * _padded, _padded));
            Span<Vector<float>> s2 = MemoryMarshal.Cast<float, Vector<float>>(_state2.AsSpan(m * _padded, _padded));
            Span<Vector<float>> sq = MemoryMarshal.Cast<float, Vector<float>>(_squared.AsSpan(m * _padded, _padded));
            for (int v = 0; v < x.Length; v++)
            {
                Vector<float> bx = b0 * x[v];
                Vector<float> y = bx + s1[v];
                s1[v] = s2[v] - (a1 * y);
                s2[v] = -bx - (a2 * y);
                sq[v] = y * y;
            }
        }

        // Every frame this envelope sample falls in gets it with that frame's window weight.
        long j = _envelopes++;
        int length = _e.FrameEnvelopes;
        int shift = _e.ShiftEnvelopes;
        int slots = _e.OpenFrames;
        int cells = _mods * _padded;
        long firstFrame = j < length ? 0 : (j - length + shift) / shift;
        ReadOnlySpan<Vector<float>> squared = MemoryMarshal.Cast<float, Vector<float>>(_squared);
        for (long i = firstFrame; i * shift <= j; i++)
        {
            int offset = (int)(j - (i * shift));
            if (offset >= length)
            {
                continue;
            }

            var weight = new Vector<float>(_e.FrameWeights[offset]);
            Span<Vector<float>> acc = MemoryMarshal.Cast<float, Vector<float>>(_energy.AsSpan((int)(i % slots) * cells, cells));
            for (int v = 0; v < acc.Length; v++)
            {
                acc[v] += weight * squared[v];
            }

            if (offset == length - 1)
            {
                Emit(output, _energy.AsSpan((int)(i % slots) * cells, cells));
            }
        }
    }

    /// <summary>
    /// Starts the filters in the steady state of a constant envelope equal to the first one, so the
    /// arbitrary instant a stream starts at is not reported as an onset sweeping every modulation band.
    /// </summary>
    private void Prewarm()
    {
        for (int m = 0; m < _mods; m++)
        {
            float b0 = _e.ModB0[m];
            for (int a = 0; a < _padded; a++)
            {
                float s = -b0 * _envelope[a];
                _state1[(m * _padded) + a] = s;
                _state2[(m * _padded) + a] = s;
            }
        }
    }

    private void Emit(FeatureBuffer output, Span<float> energy)
    {
        Span<float> row = output.AddRow();
        for (int a = 0; a < _bands; a++)
        {
            for (int m = 0; m < _mods; m++)
            {
                row[(a * _mods) + m] = MathF.Log(energy[(m * _padded) + a] + _floor);
            }
        }

        energy.Clear();
        FramesEmitted++;
    }
}
