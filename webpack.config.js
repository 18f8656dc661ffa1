// Bundles the UXP panel into dist/plugin with its manifest, HTML and icons: bootstrap.js (tiny, registers the panel
// with UXP at once — setup() must come within ~20 ms) and index.js (the app), loaded in that order by index.html.
// UXP provides `photoshop`, `uxp`, `os` and `fs` through its own require; no eval devtool (needs a manifest flag).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import CopyPlugin from 'copy-webpack-plugin';
import webpack from 'webpack';

const root = path.dirname(fileURLToPath(import.meta.url));

export default (_env, argv = {}) => ({
  mode: argv.mode ?? 'production',
  context: root,
  target: 'web',
  entry: { bootstrap: './plugin/bootstrap.ts', index: './plugin/index.tsx' },
  devtool: argv.mode === 'development' ? 'source-map' : false,
  output: {
    path: path.resolve(root, 'dist/plugin'),
    filename: '[name].js',
    publicPath: '',
    clean: true,
  },
  resolve: { extensions: ['.tsx', '.ts', '.js'] },
  module: {
    rules: [
      {
        test: /\.tsx?$/,
        exclude: /node_modules/,
        use: { loader: 'ts-loader', options: { transpileOnly: true, configFile: path.resolve(root, 'tsconfig.plugin.json') } },
      },
    ],
  },
  externals: { photoshop: 'commonjs2 photoshop', uxp: 'commonjs2 uxp', os: 'commonjs2 os', fs: 'commonjs2 fs' },
  externalsType: 'commonjs2',
  plugins: [
    // One chunk per entry, nothing loaded at run time (UXP has no chunk loading to rely on).
    new webpack.optimize.LimitChunkCountPlugin({ maxChunks: 2 }),
    new CopyPlugin({
      patterns: [
        { from: 'manifest.json', to: 'manifest.json' },
        // Copied verbatim: a minifier rewrites CSS into shorthands UXP may not support (e.g. flex-flow).
        { from: 'plugin/index.html', to: 'index.html', info: { minimized: true } },
        { from: 'assets/icons/*.png', to: 'icons/[name][ext]' },
      ],
    }),
  ],
  performance: { hints: false },
});
