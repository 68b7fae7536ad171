/*
 * Bundles the standalone classroom page (src/page/index.ts, compiled to
 * lib/ by tsc) into ../jupyter_classroom/static/page/page.js, with the same
 * bundler, loaders and browser fallbacks as the JupyterLab extension's build
 * (@jupyter/builder's base configuration), so nothing more is installed.
 *
 *   node build-page.js [--mode=production|development]
 */
const path = require('path');

const builder = path.dirname(require.resolve('@jupyter/builder/package.json'));
// The bundler @jupyter/builder itself runs (resolved from it, wherever the package manager put it).
const rspack = require(require.resolve('@rspack/core', { paths: [builder] }));
const base = require('@jupyter/builder/lib/webpack.config.base');

const modeArg = process.argv.find(a => a.startsWith('--mode='));
const mode = modeArg ? modeArg.slice('--mode='.length) : 'production';

const config = {
  ...base,
  mode,
  context: __dirname,
  entry: { page: './lib/page/index.js' },
  output: {
    ...base.output,
    path: path.resolve(__dirname, '../jupyter_classroom/static/page'),
    filename: '[name].js',
    chunkFilename: '[name].[contenthash].js',
    clean: true
  },
  devtool: mode === 'production' ? false : 'source-map',
  // One file for the page: nothing is loaded later from elsewhere.
  optimization: { splitChunks: false },
  performance: { hints: false }
};

rspack(config, (err, stats) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  const info = stats.toJson({ assets: true, errors: true, warnings: true });
  for (const warning of info.warnings || []) {
    console.warn(warning.message || warning);
  }
  if (stats.hasErrors()) {
    for (const error of info.errors) {
      console.error(error.message || error);
    }
    process.exit(1);
  }
  for (const asset of info.assets) {
    console.log(`classroom page: ${asset.name} ${(asset.size / 1024).toFixed(0)} KiB`);
  }
});
