namespace Rtser.Audio; internal static class Placeholder {}
