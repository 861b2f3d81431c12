// The part of jstat (https://github.com/jstat/jstat, no bundled types) that src/stats uses.
declare module 'jstat' {
  const jStat: {
    normal: { inv(p: number, mean: number, std: number): number };
  };
  export default jStat;
}
