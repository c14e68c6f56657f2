using System.Diagnostics;
using System.Globalization;
using Rtser.Tests.Shared;

namespace Rtser.Api.Tests;

/// <summary>Audio is not kept, even when the service is killed while ffmpeg reads an upload from a temporary file.</summary>
public sealed class TempFileCrashTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "rtser-crash-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        // The stand-in ffmpeg outlives the killed service; end it by the pid it wrote.
        string pidFile = Path.Combine(_data, "ffmpeg.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
        {
            try
            {
                using Process ffmpeg = Process.GetProcessById(pid);
                ffmpeg.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // Already gone.
            }
        }

        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task An_upload_left_in_the_temporary_folder_by_a_kill_is_deleted_before_the_next_start_serves()
    {
        Directory.CreateDirectory(_data);
        string ffmpeg = Path.Combine(_data, "ffmpeg-that-hangs.sh");
        File.WriteAllText(ffmpeg, $"#!/bin/sh\necho $$ > '{_data}/ffmpeg.pid'\nexec sleep 60\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(ffmpeg, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        string args = $"--Rtser:DataDirectory {_data} --Rtser:FfmpegPath {ffmpeg}";
        string tmp = Path.Combine(_data, "tmp");

        // Its moov atom comes last (ffmpeg's own layout), so it cannot go through a pipe and is written to a file.
        byte[] mp4 = File.ReadAllBytes(TestPaths.TestData("Rtser.Audio.Tests", "speech-aac.mp4"));
        string[] left;
        using (ServiceProcess service = await ServiceProcess.StartReadyAsync(args))
        {
            Task<HttpResponseMessage> upload = Send.Raw(service.Client, mp4, "audio/mp4");
            left = await WaitForFilesAsync(tmp, service);

            service.Process.Kill(); // SIGKILL: no finally block runs
            await service.Process.WaitForExitAsync();
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => upload);
        }

        Assert.Single(left);
        Assert.True(File.Exists(left[0]), "the kill should leave the upload behind");
        Assert.Equal(mp4, File.ReadAllBytes(left[0]));

        using ServiceProcess restarted = await ServiceProcess.StartReadyAsync(args);
        Assert.Empty(Directory.GetFiles(tmp));
    }

    private static async Task<string[]> WaitForFilesAsync(string folder, ServiceProcess service)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            string[] files = Directory.Exists(folder) ? Directory.GetFiles(folder, "rtser-*.media") : [];
            if (files.Length > 0 && File.Exists(Path.Combine(Path.GetDirectoryName(folder)!, "ffmpeg.pid")))
            {
                return files;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"no temporary upload file appeared in {folder} within 30 s: {service.Output}");
        return [];
    }
}
